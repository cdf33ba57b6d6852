"""`grants init`, `grants demo` and `grants serve`: set up the database, seed the demo, serve the app."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.cli.common import click, console, friendly_errors, run
from app.core.crypto import get_ledger_key, get_vault, write_key_file, write_ledger_key_file
from app.core.settings import get_settings


async def _init() -> None:
    from app.bootstrap import init_database
    from app.core.key_check import refuse_new_keys_for_old_data
    from app.core.migrate import migrate

    settings = get_settings()
    await migrate()
    await refuse_new_keys_for_old_data(settings)
    if write_key_file(settings):
        console.print(
            f"Generated an encryption key for personal data in [bold]{settings.secret_key_file}[/bold]. "
            "Keep it safe and back it up: without it, personal data cannot be read. "
            "In production set GRANTS_SECRET_KEY instead."
        )
    if write_ledger_key_file(settings):
        console.print(
            f"Generated the ledger key in [bold]{settings.ledger_key_file}[/bold]: it seals the ledger's "
            "chain. Back it up apart from the database. In production set GRANTS_LEDGER_KEY instead."
        )
    get_vault()  # fail now, not at the first registration, if the key is unusable
    get_ledger_key()
    await init_database()


@click.command()
@friendly_errors
def init() -> None:
    """Create or upgrade the database (migrations) and make sure an encryption key exists."""
    run(_init())
    console.print(f"Database ready: {_database_label()}")


def _database_label() -> str:
    url = get_settings().database_url
    return url.split("@")[-1] if "@" in url else url


@click.command()
@click.option("--seed-only", is_flag=True, help="Stop after seeding; do not serve.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@friendly_errors
def demo(seed_only: bool, host: str, port: int) -> None:
    """Set up the database, load demo data (once) and serve the app."""
    from app.demo import DEMO_PASSWORD, demo_exists
    from app.demo.story import use_demo_bank_account

    use_demo_bank_account()  # the served app can release the demo's payment runs to SEPA files too
    run(_init())
    if run(demo_exists()):
        console.print("Demo data already loaded.")
    else:
        _seed_with_progress()
    _print_logins(DEMO_PASSWORD, f"http://{host}:{port}")
    if not seed_only:
        _serve(host, port, workers=1)


def _seed_with_progress() -> None:
    from app.demo import STEPS, seed_demo

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("Seeding demo data", total=STEPS)

        def step(label: str, n: int) -> None:
            progress.update(task, advance=n, description=f"Seeding {label}")

        run(seed_demo(step))


def _print_logins(password: str, site: str) -> None:
    """Who to sign in as and what each finds: a line per user, then what to look at (fits 80 columns)."""
    from app.demo import LOGINS, demo_email

    console.print(f"\nDemo users at [bold]{site}[/bold] (password for all: [bold]{password}[/bold])")
    for login in LOGINS:
        console.print(f"  {login.role.replace('_', ' '):<16}[bold]{demo_email(login)}[/bold]")
        console.print(f"  {'':<16}{login.look}", style="dim")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@friendly_errors
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and API."""
    get_vault()
    get_ledger_key()
    _serve(host, port, workers)


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    console.print(f"Serving on [bold]http://{host}:{port}/[/bold]  (API docs: http://{host}:{port}/schema)")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers)
