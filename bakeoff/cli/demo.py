"""``bakeoff demo`` (the whole bake-off offline) and ``bakeoff app`` (look at the images)."""

from __future__ import annotations

from pathlib import Path

import click

import bakeoff as fo

DEMO_DATASET = "demo-shapes"


def _launch_and_wait(dataset: fo.Dataset | None, port: int, address: str, remote: bool, auto: bool = True) -> None:
    """Start the App on ``dataset`` (or none), print its URL and wait until Ctrl-C."""
    try:
        session = fo.launch_app(dataset, port=port, address=address, remote=remote, auto=auto)
    except ImportError as error:  # a broken install: fastapi or uvicorn missing
        raise click.ClickException(f"the App cannot start: {error}; pip install fastapi uvicorn") from error
    click.echo(f"App: {session.url}  (Ctrl-C to stop)", nl=True)
    try:
        session.wait()
    except KeyboardInterrupt:
        pass
    finally:
        session.close()


@click.command()
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default="bakeoff-demo-report.html",
              show_default=True, help="Where to write the HTML report.")
@click.option("--no-report", is_flag=True, help="Do not write the HTML report.")
@click.option("--fresh", is_flag=True, help="Rebuild the demo dataset and re-run every model.")
@click.option("--app", "open_app", is_flag=True, help="Open the App on the demo dataset afterwards.")
def demo(report: Path, no_report: bool, fresh: bool, open_app: bool) -> None:
    """The whole bake-off offline: bakeoff's demo models on synthetic shapes.

    Builds the persistent dataset 'demo-shapes', applies every demo model,
    evaluates and compares them, and writes the HTML report.

    \b
    Example:
        bakeoff demo --report demo.html --app
    """
    from bakeoff.cli.demo_run import run_demo

    run_demo(report=None if no_report else str(report), fresh=fresh)
    if open_app:
        _launch_and_wait(fo.load_dataset(DEMO_DATASET), 5151, "127.0.0.1", False, auto=True)
    else:
        click.echo(f"\nlook at the images: bakeoff app {DEMO_DATASET}")


@click.command()
@click.argument("dataset", required=False)
@click.option("--port", type=click.IntRange(0, 65535), default=5151, show_default=True, help="Port to serve on.")
@click.option("--address", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 for all).")
@click.option("--remote", is_flag=True, help="Do not open a browser here (a remote machine; forward the port).")
@click.option("--no-open", is_flag=True, help="Do not open a browser; just print the URL.")
def app(dataset: str | None, port: int, address: str, remote: bool, no_open: bool) -> None:
    """Browse DATASET (or choose one) in the App until Ctrl-C.

    The printed URL carries the App's token (new at each start); only who has
    it can use the App. Scripts: set BAKEOFF_APP_TOKEN and send
    'Authorization: Bearer <token>'.

    \b
    Example:
        bakeoff app demo-shapes --port 5151
        BAKEOFF_APP_TOKEN=$(cat ~/.my-token) bakeoff app demo-shapes
    """
    _launch_and_wait(fo.load_dataset(dataset) if dataset else None, port, address, remote, auto=not no_open)
