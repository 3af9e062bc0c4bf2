"""The data migration from one active version per force to deployments per force and scheme."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from engine.definitions import read_folder
from tests import factories

BEFORE = [("forces", "0002_force_interview_mode_force_lane_teams_and_more"),
          ("cases", "0007_queue_by_role"),
          ("processes", "0002_processversion_base_deployment_migration_and_more")]
AFTER = [("forces", "0003_deploy_scheme_deployments"),
         ("cases", "0009_deploy_case_scheme_task_team")]


@pytest.mark.django_db(transaction=True)
def test_columns_become_a_deployment_limits_and_case_schemes():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    files = {name: data.decode() for name, data in read_folder(factories.CSODS).items()}
    Version = old.get_model("processes", "ProcessVersion")
    version = Version.objects.create(process_id="csods", number=1, content_hash="x" * 64,
                                     files=files, spec_json="{}")
    Profile = old.get_model("forces", "TimeLimitProfile")
    profile = Profile.objects.create(code="west-yorkshire", name="West Yorkshire",
                                     initial="PT24H", interview="P10D", overall="P45D",
                                     assessment="P10D", decision="")
    Force = old.get_model("forces", "Force")
    war = Force.objects.create(code="WAR", name="Warwickshire", time_limit_profile=profile,
                               decision_route="panel", active_version=version,
                               interview_mode="phone_allowed", lane_teams={"Decision maker": "A"},
                               local_steps=["follow_up_support"])
    Force.objects.create(code="NON", name="Nowhere", time_limit_profile=profile)
    User = old.get_model("auth", "User")
    user = User.objects.create(username="someone")
    Case = old.get_model("cases", "Case")
    Case.objects.create(force=war, reference="WAR-2026-000001", version=version, state=b"",
                        opened_at="2026-01-01T00:00:00Z", opened_by=user)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    profile = new.get_model("forces", "TimeLimitProfile").objects.get()
    assert profile.limits == {"limit_initial": "PT24H", "limit_interview": "P10D",
                              "limit_overall": "P45D", "limit_assessment": "P10D",
                              "limit_decision": None}
    assert profile.scheme == "csods"
    (deployment,) = new.get_model("forces", "SchemeDeployment").objects.all()
    assert (deployment.force.code, deployment.scheme, deployment.active_version_id) == (
        "WAR", "csods", version.pk)
    assert deployment.time_limit_profile_id == profile.pk
    assert deployment.parameters == {"decision_route": "panel", "interview_mode": "phone_allowed",
                                     "recipient_rule": "best_placed",
                                     "local_steps": ["follow_up_support"]}
    assert deployment.lane_teams == {"Decision maker": "A"}
    assert new.get_model("cases", "Case").objects.get().scheme == "csods"

    MigrationExecutor(connection).migrate(
        MigrationExecutor(connection).loader.graph.leaf_nodes())
