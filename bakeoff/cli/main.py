"""The ``bakeoff`` command: a click group over the public Python API.

Every command calls what a user of ``import bakeoff as fo`` would call; this
module only wires the groups together and turns user errors into one line::

    $ bakeoff datasets info pets
    $ bakeoff apply pets --model demo-clip --field clip --classes-from ground_truth
    $ bakeoff evaluate pets clip
    error: no dataset named 'pest'. Did you mean 'pets'? ...

User errors (any :class:`bakeoff.BakeoffError`, bad usage) print ``error: ...``
on stderr and exit 1 (2 for bad usage), without a traceback; ``--debug`` (or
``BAKEOFF_DEBUG=1``) re-raises bakeoff's errors for developers. Errors and logged
warnings speak the CLI's spelling (``--overwrite``, not ``overwrite=True``: see
:mod:`bakeoff.cli.spelling`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import click

import bakeoff as fo
from bakeoff.cli.datasets import datasets
from bakeoff.cli.demo import app, demo
from bakeoff.cli.evaluation import compare, evaluate
from bakeoff.cli.models import apply
from bakeoff.cli.spelling import CliFormatter, to_cli
from bakeoff.cli.zoo import zoo


class BakeoffGroup(click.Group):
    """A group whose errors are one ``error: ...`` line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except fo.BakeoffError as error:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(str(error)) from error

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        # click's own handling prints usage and "Error:" over several lines; the house style is one line
        try:
            result = super().main(args, prog_name or "bakeoff", complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx is not None else "bakeoff"
            click.echo(f"error: {to_cli(error.format_message())} (see '{command} --help')", err=True)
            code = error.exit_code
        except click.ClickException as error:
            click.echo(f"error: {to_cli(error.format_message())}", err=True)
            code = error.exit_code
        except click.Abort as error:
            interrupted = isinstance(error.__cause__, KeyboardInterrupt)  # Ctrl-C, not a "no" to a question
            click.echo("error: interrupted" if interrupted else "error: aborted", err=True)
            code = 130 if interrupted else 1
        if standalone_mode:
            sys.exit(code)
        return code


@click.group("bakeoff", cls=BakeoffGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(fo.__version__, prog_name="bakeoff", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.option("--debug", is_flag=True, envvar="BAKEOFF_DEBUG",
              help="Show tracebacks of bakeoff's errors (also BAKEOFF_DEBUG=1).")
def cli(verbose: bool, debug: bool) -> None:
    """Compare zero-shot image classifiers on your own labelled images.

    \b
    Example, the whole bake-off offline on bakeoff's demo models:
        bakeoff demo
    """
    handler = logging.StreamHandler()
    handler.setFormatter(CliFormatter("%(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


for command in (datasets, zoo, apply, evaluate, compare, demo, app):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    return cli.main(argv, standalone_mode=False)


if __name__ == "__main__":
    sys.exit(main())
