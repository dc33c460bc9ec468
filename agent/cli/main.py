"""The hpcagent command line: thin typer commands, each delegating to one function."""

from __future__ import annotations

import typer

app = typer.Typer(help="Make C/C++ HPC code faster with OpenMP, proving each change in a sandbox.",
                  no_args_is_help=True, add_completion=False)
sandbox_app = typer.Typer(help="Manage the sandbox image.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


def _register() -> None:
    from hpcagent.agent.cli import analyze as cli_analyze
    from hpcagent.agent.cli import batch as cli_batch
    from hpcagent.agent.cli import optimize as cli_optimize
    from hpcagent.agent.cli import review as cli_review
    from hpcagent.agent.cli import sandbox as cli_sandbox

    app.command("optimize")(cli_optimize.optimize)
    app.command("resume")(cli_optimize.resume)
    app.command("init")(cli_optimize.init)
    app.command("doctor")(cli_sandbox.doctor)
    app.command("check")(cli_sandbox.check)
    sandbox_app.command("build")(cli_sandbox.build)
    app.command("analyze")(cli_analyze.analyze)
    app.command("runs")(cli_review.runs)
    app.command("show")(cli_review.show)
    app.command("review")(cli_review.review)
    app.command("report")(cli_review.report)
    app.command("replay")(cli_review.replay)
    app.command("batch")(cli_batch.batch)


_register()

if __name__ == "__main__":
    app()
