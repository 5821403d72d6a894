"""The development key file is private from the moment it exists, never chmod-ed later."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A child process watches the folder at every audited operation (open, link, chmod,
# unlink...) while the keys are made: a file created with the default mode and chmod-ed
# afterwards is seen at the chmod with its first mode. The umask is opened wide so that a
# default-mode file would be readable by everyone.
WATCHER = """
import json, os, sys
from pathlib import Path
from settings import dev_keys

target = Path(sys.argv[1])
seen, busy = set(), False

def watch(event, args):
    global busy
    if busy:
        return
    busy = True
    try:
        for entry in os.scandir(target.parent):
            seen.add((entry.name, entry.stat().st_mode & 0o777))
    except FileNotFoundError:
        pass
    finally:
        busy = False

os.umask(0)
sys.addaudithook(watch)
dev_keys.load_or_create(target)
busy = True
print(json.dumps(sorted(seen)))
"""


def test_the_key_file_is_0600_from_its_creation_with_no_window(tmp_path):
    target = tmp_path / "var" / "dev_keys.json"
    result = subprocess.run(
        [sys.executable, "-c", WATCHER, str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = [tuple(pair) for pair in json.loads(result.stdout)]
    assert ("dev_keys.json", 0o600) in seen
    assert {mode for _, mode in seen} == {0o600}, seen
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(path.name for path in target.parent.iterdir()) == ["dev_keys.json"]


def test_the_keys_are_made_once_and_then_read(tmp_path):
    from settings import dev_keys

    target = tmp_path / "dev_keys.json"
    first = dev_keys.load_or_create(target)
    assert dev_keys.load_or_create(target) == first == json.loads(target.read_text())
    assert set(first) == {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "N8N_WEBHOOK_SECRET"}
