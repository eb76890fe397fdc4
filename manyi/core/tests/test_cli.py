"""The `manyi` console command and its small management commands."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, User
from manyi.accounts.services import user_for_token
from manyi.cases.models import Category, SlaPolicy
from manyi.cli import main
from manyi.core.demo import DEMO_PASSWORD


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "serve", "worker", "migrate", "createorg", "token", "import"):
        assert f"\n  {command}" in out


def test_import_help_documents_the_columns_and_their_chinese_headers(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["import", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: manyi import")
    for column in ("customer_phone", "received_at", "purchase_date", "手机", "受理时间", "类别"):
        assert column in out
    for text in ("responses", "--survey", "--create-template", "submitted_at", "case_number"):
        assert text in out


def test_help_shows_how_to_import_survey_answers(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "\n  import responses FILE --survey ID" in out
    assert "--create-template airline" in out


# A command run from the command line closes the connections: outside the test transaction.
@pytest.mark.django_db(transaction=True)
def test_the_console_command_imports_survey_answers_into_a_new_template_survey(
    admin_user, store_a, tmp_path, capsys
):
    from manyi.surveys.models import Response, Survey

    path = tmp_path / "air.csv"
    path.write_text("Gender,Seat comfort,satisfaction\nMale,4,satisfied\n", encoding="utf-8")
    main(["import", "responses", str(path), "--create-template", "airline", "--store", "PD"])
    out = capsys.readouterr().out
    survey = Survey.objects.get(template_key="airline")
    assert survey.current_version is not None
    assert str(survey.pk) in out and "Gender" in out
    response = Response.objects.get(survey=survey)
    assert response.answers == {"air_seat_comfort": 4, "satisfaction": "satisfied"}


@pytest.mark.django_db
def test_createorg_creates_an_organisation_with_defaults_and_its_admin():
    out = io.StringIO()
    call_command(
        "manyi_createorg",
        name="测试集团",
        admin_username="boss",
        admin_password="long-enough-1",
        stdout=out,
    )
    org = Organisation.objects.get(name="测试集团")
    admin = User.objects.get(username="boss")
    assert admin.organisation == org
    assert admin.role == Role.ORG_ADMIN
    assert admin.check_password("long-enough-1")
    assert Store.objects.filter(organisation=org).count() == 1
    assert Category.objects.filter(organisation=org).exists()
    assert SlaPolicy.objects.filter(organisation=org, is_default=True).count() == 1
    assert "测试集团" in out.getvalue()


@pytest.mark.django_db
def test_createorg_refuses_a_short_password_and_names_the_option():
    with pytest.raises(CommandError, match="admin_password"):
        call_command("manyi_createorg", name="X集团", admin_username="boss", admin_password="short")
    assert not Organisation.objects.filter(name="X集团").exists()


def test_token_prints_a_token_that_authenticates_the_user(agent):
    out = io.StringIO()
    call_command("manyi_token", username="agent", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("mny_")
    assert user_for_token(token) == agent


def test_two_tokens_are_different_and_both_work(agent):
    first, second = io.StringIO(), io.StringIO()
    call_command("manyi_token", username="agent", stdout=first)
    call_command("manyi_token", username="agent", stdout=second)
    assert first.getvalue() != second.getvalue()
    assert user_for_token(first.getvalue().strip()) == agent
    assert user_for_token(second.getvalue().strip()) == agent


@pytest.mark.django_db
def test_token_for_an_unknown_user_fails():
    with pytest.raises(CommandError, match="nobody"):
        call_command("manyi_token", username="nobody")


def test_token_for_a_deactivated_user_fails(agent):
    agent.is_active = False
    agent.save()
    with pytest.raises(CommandError):
        call_command("manyi_token", username="agent")


# Django closes every connection after a command run from the command line: that only works
# outside the test's wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_the_console_command_dispatches_to_the_management_command(agent, capsys):
    main(["token", "--username", "agent"])
    token = capsys.readouterr().out.strip()
    assert user_for_token(token) == agent


@pytest.mark.django_db
def test_demo_without_serving_loads_once_and_prints_logins_and_a_working_token(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("manyi_demo", "--no-serve", "--size", "small", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    for username in ("admin", "pd_supervisor", "sz_agent4"):
        assert username in text
    assert DEMO_PASSWORD in text
    token = re.search(r"mny_[\w-]+", text)
    assert token is not None
    admin = user_for_token(token.group())
    assert admin is not None and admin.username == "admin"
    again = io.StringIO()
    call_command("manyi_demo", "--no-serve", "--size", "small", stdout=again, stderr=io.StringIO())
    assert Organisation.objects.count() == 1
    second = re.search(r"mny_[\w-]+", again.getvalue())
    assert second is not None and second.group() != token.group()


@pytest.mark.django_db(transaction=True)
def test_other_names_pass_through_to_django(capsys):
    main(["showmigrations", "core"])
    assert "0001_initial" in capsys.readouterr().out
