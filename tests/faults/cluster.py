"""A throw-away PostgreSQL cluster run by `pg_ctl`, so that a fault test can crash it the way
a power cut or an OOM kill would (`pg_ctl -m immediate restart`: no checkpoint, no goodbye
to the clients) and set what a server setting changes (`synchronous_commit`)."""

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import psycopg

from tests.scale.engines import postgres_bin

USER = "postgres"


class Cluster:
    """`start()` it, `url(database)` to reach it, `crash_restart()` it, `stop()` it."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data, self.logfile = folder / "data", folder / "postgres.log"
        self.bin = postgres_bin()
        # initdb refuses to run as root: the cluster is the postgres user's, as on a server.
        self.as_user = ["runuser", "-u", USER, "--"] if os.getuid() == 0 else []

    def _run(self, *args: str | Path, timeout: float = 120) -> None:
        # -l always: without it the server inherits our stdout, and capturing it never ends.
        result = subprocess.run(
            [*self.as_user, *map(str, args)], capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self.folder.mkdir(mode=0o755, parents=True)
        if self.as_user:
            owner = pwd.getpwnam(USER)
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            os.chmod(self.folder.parent, 0o755)  # postgres must reach its folder
        self._run(self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", USER, "-E", "UTF8")
        # Settings a test changes (synchronous_commit) go through ALTER SYSTEM, so they are
        # not given on the command line, which would win over it. fsync=off loses nothing in
        # a crash of the server alone: the kernel still has what was written.
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.logfile, "-o", options, "-w", "start"
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, *statements: str) -> None:
        """Statements outside a transaction, as the superuser (CREATE DATABASE, ALTER SYSTEM)."""
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as connection:
            for statement in statements:
                connection.execute(statement)

    def configure(self, **settings: str) -> None:
        """ALTER SYSTEM each setting (None: back to the default) and reload."""
        self.execute(
            *(
                f"ALTER SYSTEM RESET {name}"
                if value is None
                else f"ALTER SYSTEM SET {name} = '{value}'"
                for name, value in settings.items()
            ),
            "SELECT pg_reload_conf()",
        )

    def crash_restart(self) -> None:
        """Stop at once, as a crash does (no checkpoint, clients cut off), and start again;
        returns once the server accepts connections after its crash recovery."""
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.logfile,
            "-m",
            "immediate",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [
                    *self.as_user,
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.folder, ignore_errors=True)
