__title__ = "qbank-connect"
__version__ = "0.2.0"
