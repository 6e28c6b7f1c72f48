"""The panel's own bookkeeping of a job is a fixed number of queries, pinned here (issue 15
item 4): one query finds the job and takes its scope lock, one claims it, one reads it back
with the earlier-job check; between two steps one UPDATE completes the first and starts the
next; the query that frees the scope lock also finds the scope's next pending job. Counted
as a worker runs the job (in the test's transaction: SAVEPOINT/RELEASE appear where the
worker's own transactions would BEGIN/COMMIT)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from provisioning.databases import services
from provisioning.engine import runner
from provisioning.engine.choices import JobState
from provisioning.models import Database, ProvisioningJob
from tests.provisioning.conftest import bulk_databases

CREATE_QUERIES = 18  # 3 steps (19 before the unlock found the next job)
DELETE_QUERIES = 16  # 2 steps (17 before)


def _run_counted(resource) -> list[str]:
    job = ProvisioningJob.objects.for_resource(resource).filter(state="pending").get()
    with CaptureQueriesContext(connection) as queries:
        assert runner.run_job(job.pk) == JobState.DONE
    return [query["sql"] for query in queries]


def test_a_create_and_a_delete_job_cost_a_fixed_number_of_panel_queries(
    alice_account, db_server, target_pg
):
    bulk_databases(alice_account, db_server, 2, state="active")  # other jobs and rows
    db, _ = services.create_database(alice_account, "shop", actor=None)
    created = _run_counted(db)
    assert len(created) == CREATE_QUERIES, created
    # The step writes: the first start, two complete-and-start pairs, the last completion.
    step_writes = [sql for sql in created if sql.startswith('UPDATE "provisioning_jobstep"')]
    assert len(step_writes) == 4  # was 6: a start and a completion each
    services.delete_database(Database.objects.get(pk=db.pk), actor=None)
    deleted = _run_counted(db)
    assert len(deleted) == DELETE_QUERIES, deleted
    assert not Database.objects.filter(pk=db.pk).exists()
