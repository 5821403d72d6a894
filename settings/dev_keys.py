"""Development keys, made once per checkout under var/ so that no key lives in the repo."""

import contextlib
import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def load_or_create(path: Path) -> dict[str, str]:
    if not path.exists():
        _create(path)
    return json.loads(path.read_text())


def _create(path: Path) -> None:
    """Write the keys to a file that is 0600 from its first byte (never chmod-ed afterwards),
    then link it into place: the final name never shows a partial file, and when two
    processes start at once (`make run` starts the server and the sender) the first wins."""
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "N8N_WEBHOOK_SECRET": secrets.token_urlsafe(32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(json.dumps(keys, indent=2))
            file.flush()
            os.fsync(file.fileno())
        # If another process made them first, everyone uses its keys.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
