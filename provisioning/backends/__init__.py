from provisioning.backends.base import Backend, BackendError, get_backend, register_backend

__all__ = ["Backend", "BackendError", "get_backend", "register_backend"]
