"""The provisioning job engine: jobs as sagas, shared by every resource kind.

Public API for a kind: `registry` (Step, JobKind, register), `jobs.create_job`,
`backends` (Backend, BackendError, register_backend), `drift` (register_drift_rule).
See docs/provisioning.md. Imports point one way: kinds -> engine -> backends base.
"""
