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

import contextlib
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
    """Write ``path`` through a temporary file renamed into place: a full disk or a crash
    leaves the old file (or none), never half a file; the temporary file is removed on error."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):   # best effort: the original error matters
            os.remove(tmp)
        if isinstance(e, OSError) and not e.filename:   # a write that failed names no file
            raise OSError(e.errno, e.strerror, path) from e
        raise


class ChunkStore:
    """Chunk files and manifest of one output folder.

    Args:
        out_dir: the folder (created if missing).
        fingerprint: hash of everything that decides the results (config, options, version).
        n_points, chunk_size: the grid size and the points per chunk.
        per_step: the chunks keep every step's metrics (recorded in the manifest, for the
            message when a resume changes it).
    """

    def __init__(self, out_dir: str, fingerprint: str, n_points: int, chunk_size: int,
                 per_step: bool = True):
        self.out_dir = out_dir
        self.fingerprint = fingerprint
        self.n_points = n_points
        self.chunk_size = chunk_size
        self.n_chunks = -(-n_points // chunk_size)
        self.done: set[int] = set()
        self.damaged: list[int] = []    # listed as done but damaged: computed again
        self.per_step = per_step

    # ---------------------------------------------------------------- opening

    @staticmethod
    def holds_sweep(out_dir: str) -> bool:
        """True when ``out_dir`` holds a sweep: it has a manifest file, readable or damaged
        (so that ``--overwrite`` can clear a folder whose manifest was damaged)."""
        return os.path.isfile(os.path.join(out_dir, MANIFEST))

    @staticmethod
    def read_manifest(out_dir: str) -> dict | None:
        """The manifest of ``out_dir`` (None: the folder holds no sweep).

        Raises:
            SimsrcInputError: the manifest is damaged (not JSON, or without the fields a sweep
                writes), naming the file and what clears it.
        """
        path = os.path.join(out_dir, MANIFEST)
        if not ChunkStore.holds_sweep(out_dir):
            return None
        try:
            with open(path, "rb") as f:
                body = json.loads(f.read(1 << 24).decode("utf-8"))
            ok = (isinstance(body, dict) and isinstance(body.get("fingerprint"), str)
                  and isinstance(body.get("chunk_size"), int) and body["chunk_size"] >= 1
                  and isinstance(body.get("done", []), list)
                  and all(isinstance(i, int) for i in body.get("done", [])))
            why = "it lacks the fields a sweep writes (fingerprint, chunk_size, done)"
        except (OSError, ValueError) as e:      # JSONDecodeError, UnicodeDecodeError
            ok, why = False, f"it is not readable JSON ({type(e).__name__})"
        if not ok:
            raise SimsrcInputError(
                f"{path} is damaged: {why}, so this sweep cannot be resumed; pass --overwrite to "
                "clear the folder and start again")
        return body

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
        if ChunkStore.holds_sweep(out_dir) or not os.path.isdir(out_dir):
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
        sweep (no manifest file, readable or damaged) is left as it is."""
        if not ChunkStore.holds_sweep(out_dir):
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
                changed = (" (its [output] per_step differs: it decides what every chunk "
                           "keeps)" if old.get("per_step", self.per_step) != self.per_step
                           else "")
                raise SimsrcInputError(
                    f"{self.out_dir} holds a sweep of a different config, simsrc version or "
                    f"numerical options{changed}, so it cannot be resumed; choose another --out "
                    "or pass --overwrite to start again")
            self.chunk_size = int(old["chunk_size"])
            self.n_chunks = -(-self.n_points // self.chunk_size)
            listed = {i for i in old.get("done", []) if 0 <= i < self.n_chunks}
            self.done = {i for i in listed if self._chunk_ok(i)}
            self.damaged = sorted(i for i in listed - self.done
                                  if os.path.exists(self.chunk_path(i)))
        self._write_manifest()

    def _chunk_ok(self, index: int) -> bool:
        """The chunk file exists, is a readable ``.npz`` and holds one row per point."""
        start, stop = self.chunk_range(index)
        try:
            with np.load(self.chunk_path(index)) as z:
                return bool(z.files) and all(z[k].shape[:1] == (stop - start,) for k in z.files)
        except Exception:   # noqa: BLE001 - any damage (zip, pickle, header) means: recompute
            return False

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
                "per_step": self.per_step, "done": sorted(self.done)}
        text = json.dumps(body, indent=1).encode()
        _atomic_write(os.path.join(self.out_dir, MANIFEST), lambda f: f.write(text))

    def _damaged(self, index: int) -> SimsrcInputError:
        return SimsrcInputError(
            f"{self.chunk_path(index)} is damaged or missing; run the same command with "
            "--resume to compute that chunk again (the others are kept)")

    def layout(self) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        """Each array's dtype and shape past the point axis, after checking that every chunk
        file is readable and holds the same arrays (one chunk in memory at a time).

        Raises:
            SimsrcInputError: a chunk file is damaged or missing, naming it.
        """
        first = None
        for i in range(self.n_chunks):
            start, stop = self.chunk_range(i)
            try:
                with np.load(self.chunk_path(i)) as z:
                    here = {k: z[k] for k in z.files}
            except Exception:   # noqa: BLE001 - a damaged or missing chunk file
                raise self._damaged(i) from None
            found = {k: (v.dtype, v.shape[1:]) for k, v in here.items()}
            if first is None:
                first = found
            if (found != first or not here
                    or any(v.shape[:1] != (stop - start,) for v in here.values())):
                raise self._damaged(i)
        return first or {}

    def read_points(self, name: str, start: int, stop: int) -> np.ndarray:
        """Array ``name`` of the flat points [start, stop), read from the chunk files that hold
        them (only those)."""
        parts = []
        for i in range(start // self.chunk_size, -(-stop // self.chunk_size)):
            lo, hi = self.chunk_range(i)
            try:
                with np.load(self.chunk_path(i)) as z:
                    parts.append(z[name][max(start, lo) - lo:min(stop, hi) - lo])
            except Exception:   # noqa: BLE001 - a damaged or missing chunk file
                raise self._damaged(i) from None
        return np.concatenate(parts)

    def load_all(self) -> dict[str, np.ndarray]:
        """Every chunk, concatenated in grid order (first axis: the flat point index). Holds the
        whole sweep in memory: ``simsrc.sweep.results.write_results`` streams instead."""
        return {k: self.read_points(k, 0, self.n_points) for k in self.layout()}
