__title__ = "qbank-connect"
__version__ = "0.3.0"
