"""numkeras against real Keras 3 (JAX backend), step by step, on the keras.io guides' programs."""
