"""`emr-api background run`: one service now (forced or when due), or every one that is
due, printing each outcome; exit status 1 for a failure or an unknown name."""

from __future__ import annotations

from emr_api.cli import _settings, build_parser, main


def test_the_command_runs_what_is_due_then_a_named_service(tmp_path, capsys):
    data = ["--data-dir", str(tmp_path)]
    assert main(["background", "run", *data]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "oauth_token_cleanup", "export_file_expiry", "audit_check"]
    assert all(": executed (" in line for line in lines)

    assert main(["background", "run", *data, "audit_check"]) == 0
    assert capsys.readouterr().out.startswith("audit_check: not_due (next run at ")
    assert main(["background", "run", *data, "audit_check", "--force"]) == 0
    assert capsys.readouterr().out.startswith("audit_check: executed (")


def test_an_unknown_service_or_site_is_exit_status_1(tmp_path, capsys):
    data = ["--data-dir", str(tmp_path)]
    assert main(["background", "run", *data, "no_such_service"]) == 1
    assert "no_such_service" in capsys.readouterr().err
    assert main(["background", "run", *data, "--site", "nowhere"]) == 1


def test_a_failed_run_is_exit_status_1(tmp_path, capsys):
    exports = tmp_path / "sites" / "default" / "exports"
    exports.parent.mkdir(parents=True)
    exports.symlink_to(tmp_path)
    assert main(["background", "run", "--data-dir", str(tmp_path), "export_file_expiry",
                 "--force"]) == 1
    assert capsys.readouterr().out.startswith("export_file_expiry: error (the export folder")


def test_serve_takes_the_runners_interval(monkeypatch):
    monkeypatch.delenv("EMR_API_BACKGROUND_INTERVAL", raising=False)
    assert _settings(build_parser().parse_args(["serve"])).background_interval == 60
    args = build_parser().parse_args(["serve", "--background-interval", "0"])
    assert _settings(args).background_interval == 0
