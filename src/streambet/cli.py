"""`streambet serve | worker | analyze | db | users | demo | ledger | payments | storage |
models`"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from streambet.config import ConfigError, Settings, load_settings
from streambet.memory import limit_malloc_arenas

if TYPE_CHECKING:
    from collections.abc import Iterable

    from streambet.domain.accounts import Principal
    from streambet.wiring import Wiring

Handler = Callable[[argparse.Namespace], int]


@contextmanager
def app_wiring(settings: Settings | None = None) -> Iterator[Wiring]:
    """The application's wiring for one command (tasks registered), closed afterwards."""
    from streambet.wiring import build_wiring
    from streambet.worker import register_tasks

    w = build_wiring(settings or load_settings())
    try:
        register_tasks(w)
        yield w
    finally:
        w.close()


def _serve(args: argparse.Namespace) -> int:
    from streambet.server import DEFAULT_THREADS, serve

    threads = args.threads or DEFAULT_THREADS
    return serve(host=args.host, port=args.port, workers=args.workers, threads=threads)


def _worker(args: argparse.Namespace) -> int:
    from streambet import tracing
    from streambet.logs import configure_logging
    from streambet.worker import Worker

    settings = load_settings()
    configure_logging(settings.log_level)
    tracing.configure("streambet-worker", settings.otlp_endpoint)
    try:
        with app_wiring(settings) as w:
            Worker(w, workers=args.threads).run_forever()
    finally:
        tracing.shutdown()
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from streambet.cluster.control import Cluster
    from streambet.cluster.files import Layout, Ports

    layout = Layout(
        run_dir=Path(args.dir).resolve(),
        ports=Ports(args.port),
        web_nodes=args.web,
        worker_nodes=args.workers,
        model_dir=load_settings().resolved_model_dir.resolve(),
    )
    cluster = Cluster(layout)
    if args.cluster == "up":
        cluster.up()
        print(f"StreamBet cluster is running at {layout.lb_url}/ (run folder {layout.run_dir})")
    elif args.cluster == "down":
        cluster.down()
    else:
        print(cluster.ctl("status", check=False), end="")
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from streambet.adapters.migrate import upgrade

    with app_wiring() as w:
        upgrade(w.db)
    print("database is up to date", file=sys.stderr)
    return 0


def _db_revision(args: argparse.Namespace) -> int:
    from streambet.adapters.migrate import revision

    with app_wiring() as w:
        revision(w.db, args.message)
    return 0


def _users_create(args: argparse.Namespace) -> int:
    import getpass

    from streambet.services import accounts

    password = args.password or getpass.getpass("Password: ")
    with app_wiring() as w:
        principal = accounts.create_account(
            w.uow(),
            args.email,
            password,
            args.role,
            args.name,
            credit=w.settings.signup_credit,
        )
    print(f"created {principal.role} {principal.email} (id {principal.user_id})")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from streambet.services import accounts

    with app_wiring() as w:
        rows = accounts.list_accounts(w.read_uow())
    for row in rows:
        since = row.created_at.date().isoformat()
        print(
            f"{row.user_id:>6}  {row.role:<9} {row.email:<34} {row.display_name}  (since {since})"
        )
    print(f"{len(rows)} account(s)")
    return 0


def _users_reset_password(args: argparse.Namespace) -> int:
    from streambet.domain.errors import NotFound
    from streambet.services import accounts

    with app_wiring() as w:
        try:
            password = accounts.reset_password(w.uow(), args.email)
        except NotFound as exc:
            print(exc.message, file=sys.stderr)
            return 1
    print(f"new password for {args.email.strip().lower()} (shown this once): {password}")
    print("Its open sessions were logged out.")
    return 0


def _demo_seed(args: argparse.Namespace) -> int:
    from streambet.services import analyses, demo
    from streambet.services.demo_live_market import seed_demo_template
    from streambet.services.demo_market import seed_demo
    from streambet.services.demo_stream import seed_demo_stream

    with app_wiring() as w:

        def submit(who: Principal, name: str, chunks: Iterable[bytes]) -> str:
            # Held: the demo market opens on it first, and the server's consumer analyses
            # it once the market locks (a market on analysed footage is refused).
            return analyses.submit(
                w.uow, w.storage, w.queue, w.upload_policy, who, name, chunks, {}, hold=True
            ).id

        seeded = seed_demo(w.uow, w.vocabulary, submit, credit=w.settings.signup_credit)
        operator = demo.ensure_demo_operator(w.uow())
        stream = seed_demo_stream(w.uow, w.source_checks, operator, w.settings.resolved_media_dir)
        if stream is not None:
            seed_demo_template(w.uow, w.vocabulary, operator, stream.id)
    if seeded.created:
        print("Demo accounts (passwords are shown this once):")
        for account in seeded.created:
            p = account.principal
            print(f"  {p.role:<9} {p.email:<34} password: {account.password}")
    else:
        print(
            "Demo accounts already exist; `streambet users list` lists them and"
            " `streambet users reset-password EMAIL` prints a new password for one."
        )
    print(f"Demo market {seeded.market.id}: {seeded.market.question}")
    if stream is not None:
        print(f"Demo live stream {stream.id}: #/streams/{stream.id} (as the demo operator)")
        print(
            f"Demo live markets: #/live/{stream.id}, every two minutes a market on whether a"
            " person appears in the next minute"
        )
    return 0


def _ledger_verify(args: argparse.Namespace) -> int:
    from streambet.services.ledger import verify_books

    with app_wiring() as w:
        violations = verify_books(w.read_uow())
    for violation in violations:
        print(violation, file=sys.stderr)
    print(f"ledger: {len(violations)} violation(s)" if violations else "ledger: ok")
    return 1 if violations else 0


def _payments_reconcile(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from streambet.services.reconcile import reconcile

    since = (
        datetime.fromisoformat(args.since).replace(tzinfo=UTC)
        if args.since
        else datetime.now(UTC) - timedelta(days=30)
    )
    with app_wiring() as w:
        mismatches = reconcile(w.read_uow(), w.payments, since)
    for mismatch in mismatches:
        print(mismatch)
    since_text = since.date().isoformat()
    print(
        f"payments: {len(mismatches)} mismatch(es) since {since_text}"
        if mismatches
        else f"payments: providers and ledger agree since {since_text}"
    )
    return 1 if mismatches else 0


def _storage_sweep(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from streambet.worker import sweep_storage

    with app_wiring() as w:
        result = sweep_storage(w, timedelta(seconds=args.grace_seconds))
    for key in result.removed:
        print(f"removed {key}")
    print(f"storage: {len(result.removed)} orphan(s) removed")
    return 0


def _models_prepare(args: argparse.Namespace) -> int:
    from streambet.vision.model_cache.prepare import prepare_all

    settings = load_settings()
    for line in prepare_all(settings.resolved_model_dir):
        print(line, file=sys.stderr)
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from pathlib import Path

    from streambet.domain.suggestions import betting_suggestion, suggest
    from streambet.vision.cli import run_analyze
    from streambet.vision.pipeline.taxonomy import get_taxonomy

    return run_analyze(
        Path(args.path),
        model_dir=load_settings().resolved_model_dir,
        output=args.format,
        aggregate_by=args.aggregate_by,
        fps=args.fps,
        min_confidence=args.min_confidence,
        betting_suggestion=lambda timeline: betting_suggestion(
            suggest(timeline, settleable=get_taxonomy().settleable)
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streambet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and web app with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gunicorn processes (one per core suits SQLite too; with more than one, set"
        " STREAMBET_EVENTS_BACKEND=redis so live odds reach every worker's WebSockets)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=None,
        help="request threads per worker (default 64); WebSockets do not hold them",
    )
    serve.set_defaults(handler=_serve)

    worker = sub.add_parser("worker", help="run a standalone job-queue consumer")
    worker.add_argument("--threads", type=int, default=None, help="default: QUEUE_WORKERS")
    worker.set_defaults(handler=_worker)

    cluster = sub.add_parser(
        "cluster",
        help="a local cluster: HAProxy, web and worker nodes, PostgreSQL, Redis, S3 (moto)",
    )
    cluster.add_argument("cluster", choices=("up", "down", "status"))
    cluster.add_argument("--dir", default="var/cluster", help="its run folder (generated)")
    cluster.add_argument(
        "--port", type=int, default=18000, help="the load balancer's port; the others follow it"
    )
    cluster.add_argument("--web", type=int, default=2, help="web nodes")
    cluster.add_argument("--workers", type=int, default=2, help="worker nodes")
    cluster.set_defaults(handler=_cluster)

    analyze = sub.add_parser("analyze", help="analyse a video file and print JSON")
    analyze.add_argument("path")
    analyze.add_argument("--format", choices=("seed", "rekognition", "segments"), default="seed")
    analyze.add_argument("--aggregate-by", choices=("timestamps", "segments"), default="timestamps")
    analyze.add_argument("--fps", type=float, default=None)
    analyze.add_argument("--min-confidence", type=float, default=None)
    analyze.set_defaults(handler=_analyze)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)
    rev = db.add_parser("revision", help="autogenerate a migration (developers)")
    rev.add_argument("-m", "--message", required=True)
    rev.set_defaults(handler=_db_revision)

    users = sub.add_parser("users").add_subparsers(dest="users", required=True)
    create = users.add_parser("create", help="create an account")
    create.add_argument("email")
    create.add_argument("--role", choices=("bettor", "operator", "admin"), default="bettor")
    create.add_argument("--name", default="")
    create.add_argument("--password", help="omit to be asked without echo")
    create.set_defaults(handler=_users_create)
    users.add_parser("list", help="list every account").set_defaults(handler=_users_list)
    reset = users.add_parser(
        "reset-password", help="give an account a new password (printed once); ends its sessions"
    )
    reset.add_argument("email")
    reset.set_defaults(handler=_users_reset_password)

    demo = sub.add_parser("demo").add_subparsers(dest="demo", required=True)
    demo.add_parser("seed", help="create the demo accounts").set_defaults(handler=_demo_seed)

    ledger = sub.add_parser("ledger").add_subparsers(dest="ledger", required=True)
    ledger.add_parser(
        "verify", help="check the double-entry invariants; exits 1 on any violation"
    ).set_defaults(handler=_ledger_verify)

    payments = sub.add_parser("payments").add_subparsers(dest="payments", required=True)
    rec = payments.add_parser(
        "reconcile",
        help="list the providers' deposits and payouts against the ledger; exits 1 on any"
        " mismatch (never fixes one)",
    )
    rec.add_argument("--since", help="YYYY-MM-DD (UTC); default: 30 days back")
    rec.set_defaults(handler=_payments_reconcile)

    storage = sub.add_parser("storage").add_subparsers(dest="storage", required=True)
    sweep = storage.add_parser(
        "sweep", help="remove uploads, frames and temp files a crash left behind"
    )
    sweep.add_argument(
        "--grace-seconds", type=int, default=3600, help="keep anything younger (in flight)"
    )
    sweep.set_defaults(handler=_storage_sweep)

    models = sub.add_parser("models").add_subparsers(dest="models", required=True)
    models.add_parser("prepare", help="convert packaged weights into the model cache").set_defaults(
        handler=_models_prepare
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    limit_malloc_arenas()  # before any thread starts (serve, worker, live streams)
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
