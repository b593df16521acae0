"""The corpus models: one module per Keras example, each with ``build*() -> keras.Model``.

See tests/corpus/__init__.py for the registry that lists them.
"""
