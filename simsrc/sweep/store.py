"""The output folder of a sweep: chunk files and the manifest that says which are done.

Layout of ``OUT/``:

    config.toml        the resolved config (every key, defaults filled in): rerun it as is
    run.json           simsrc and jax versions, the command, the numerical options, devices
    manifest.json      fingerprint, grid size, chunk size, and the list of finished chunks
    chunks/chunk_000012.npz   the metrics of the points in chunk 12 (one array per metric)
    results.nc, results.csv   written once every chunk is done
    figures/           drawn from results.nc by ``simsrc sweep`` (the caller), not by the sweep
    .lock              held (``fcntl.flock``) by the one process writing the folder

A chunk file is written to a temporary name and renamed, then the manifest is rewritten the
same way, so a crash at any moment leaves either a finished chunk listed in the manifest or a
chunk that will be computed again: nothing listed is ever half written.
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np

from simsrc.errors import SimsrcInputError

MANIFEST = "manifest.json"
CHUNKS = "chunks"
OUTPUTS = ("results.nc", "results.csv", "run.json", "config.toml", MANIFEST)
LOCK = ".lock"


def _atomic_write(path: str, write) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ChunkStore:
    """Chunk files and manifest of one output folder.

    Args:
        out_dir: the folder (created if missing).
        fingerprint: hash of everything that decides the results (config, options, version).
        n_points, chunk_size: the grid size and the points per chunk.
    """

    def __init__(self, out_dir: str, fingerprint: str, n_points: int, chunk_size: int):
        self.out_dir = out_dir
        self.fingerprint = fingerprint
        self.n_points = n_points
        self.chunk_size = chunk_size
        self.n_chunks = -(-n_points // chunk_size)
        self.done: set[int] = set()

    # ---------------------------------------------------------------- opening

    @staticmethod
    def read_manifest(out_dir: str) -> dict | None:
        path = os.path.join(out_dir, MANIFEST)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    @staticmethod
    def check_writable(out_dir: str, config_path: str | None = None) -> None:
        """Refuse an output folder where a new sweep would replace what it did not write.

        A folder that holds a sweep (a manifest) is the sweep's own: ``--resume`` and
        ``--overwrite`` decide. Any other folder may hold the user's files: it must not already
        contain a file or folder of the sweep layout (``OUTPUTS``, ``chunks/``, ``figures/``).
        The config being run is never a sweep output, wherever it lies.

        Raises:
            SimsrcInputError: naming the folder and the files in the way.
        """
        if config_path is not None:
            target = os.path.join(out_dir, "config.toml")
            if os.path.exists(target) and os.path.exists(config_path) \
                    and os.path.samefile(target, config_path):
                raise SimsrcInputError(
                    f"--out {out_dir}: the sweep would write its resolved config over the config "
                    f"it reads ({config_path}); choose another output folder")
        if ChunkStore.read_manifest(out_dir) is not None or not os.path.isdir(out_dir):
            return
        taken = [n for n in OUTPUTS + (CHUNKS, "figures")
                 if os.path.exists(os.path.join(out_dir, n))]
        if taken:
            raise SimsrcInputError(
                f"--out {out_dir} holds no sweep but already has {', '.join(taken)}, which a "
                "sweep would replace; choose an empty or new folder (--overwrite only clears "
                "a folder that holds a sweep)")

    @staticmethod
    def lock(out_dir: str):
        """An exclusive advisory lock on ``out_dir`` (``OUT/.lock``) for one writing process;
        returns the open file (closing it releases the lock).

        Raises:
            SimsrcInputError: another process holds it (the same sweep started twice, or
                ``--resume`` while the first still runs).
        """
        import fcntl

        os.makedirs(out_dir, exist_ok=True)
        f = open(os.path.join(out_dir, LOCK), "a")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise SimsrcInputError(
                f"{out_dir} is being written by another simsrc sweep (it holds {LOCK}); wait "
                "for it to finish, or stop it and run again with --resume") from None
        return f

    @staticmethod
    def clear(out_dir: str) -> None:
        """Remove what a sweep wrote in ``out_dir`` (and nothing else); a folder that holds no
        sweep (no manifest) is left as it is."""
        if ChunkStore.read_manifest(out_dir) is None:
            return
        for name in OUTPUTS:
            path = os.path.join(out_dir, name)
            if os.path.exists(path):
                os.remove(path)
        for sub in (CHUNKS, "figures"):
            shutil.rmtree(os.path.join(out_dir, sub), ignore_errors=True)

    def open(self, resume: bool) -> None:
        """Create the folder, or pick up the finished chunks of an earlier run of this sweep.

        Raises:
            SimsrcInputError: the folder holds a different sweep.
        """
        os.makedirs(os.path.join(self.out_dir, CHUNKS), exist_ok=True)
        old = self.read_manifest(self.out_dir) if resume else None
        if old is not None:
            if old.get("fingerprint") != self.fingerprint:
                raise SimsrcInputError(
                    f"{self.out_dir} holds a sweep of a different config, simsrc version or "
                    "numerical options, so it cannot be resumed; choose another --out or pass "
                    "--overwrite to start again")
            self.chunk_size = int(old["chunk_size"])
            self.n_chunks = -(-self.n_points // self.chunk_size)
            self.done = {int(i) for i in old.get("done", [])
                         if os.path.exists(self.chunk_path(int(i)))}
        self._write_manifest()

    # ---------------------------------------------------------------- chunks

    def chunk_path(self, index: int) -> str:
        return os.path.join(self.out_dir, CHUNKS, f"chunk_{index:06d}.npz")

    def chunk_range(self, index: int) -> tuple[int, int]:
        """Flat indices [start, stop) of the real (not padding) points of chunk ``index``."""
        start = index * self.chunk_size
        return start, min(start + self.chunk_size, self.n_points)

    @property
    def pending(self) -> list[int]:
        return [i for i in range(self.n_chunks) if i not in self.done]

    @property
    def points_done(self) -> int:
        return sum(stop - start for start, stop in map(self.chunk_range, self.done))

    def write_chunk(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        """Store a finished chunk, then mark it done in the manifest."""
        _atomic_write(self.chunk_path(index), lambda f: np.savez(f, **arrays))
        self.done.add(index)
        self._write_manifest()

    def _write_manifest(self) -> None:
        body = {"fingerprint": self.fingerprint, "n_points": self.n_points,
                "chunk_size": self.chunk_size, "n_chunks": self.n_chunks,
                "done": sorted(self.done)}
        text = json.dumps(body, indent=1).encode()
        _atomic_write(os.path.join(self.out_dir, MANIFEST), lambda f: f.write(text))

    def load_all(self) -> dict[str, np.ndarray]:
        """Every chunk, concatenated in grid order (first axis: the flat point index)."""
        parts: dict[str, list] = {}
        for i in range(self.n_chunks):
            with np.load(self.chunk_path(i)) as z:
                for k in z.files:
                    parts.setdefault(k, []).append(z[k])
        return {k: np.concatenate(v) for k, v in parts.items()}
