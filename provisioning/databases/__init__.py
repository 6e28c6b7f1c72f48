"""Customers' PostgreSQL databases and roles: models, services, steps, backend, pages."""
