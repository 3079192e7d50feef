__version__ = "0.1.0"
"""azlogin's version (PEP 440), as the wheel and ``azlogin --version`` report it."""
