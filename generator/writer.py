"""Writing the outputs all at once, and comparing them with what is on disk.

The output folder is replaced as a whole, so `generate` first makes sure the folder is its own
(`guard`), holds a lock beside it while it works (`locked`), and puts right what an interrupted
run left behind (`recover`). I/O failures become diagnostics, never tracebacks.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from generator import manifest
from generator.diagnostics import SpecError, fail

IGNORED_DIRS = manifest.IGNORED_DIRS
SHOWN = 5  # files named in a refusal; the rest are counted


def _checked(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(
            f"refusing to write outside the output directory: {relative!r}"
        )
    return path


def io_error(out_dir: Path, error: OSError) -> SpecError:
    where = error.filename or out_dir
    return fail(
        str(out_dir.name),
        None,
        f"cannot write the output folder: {error.strerror or error} ({where})",
    )


def write_tree(
    out_dir: Path, files: dict[str, bytes], unchanged: frozenset[str] = frozenset()
) -> None:
    """Replace `out_dir` with exactly `files`: built beside it, then swapped in (atomically where
    the system can exchange two folders, else by two renames that `recover` can undo), so a
    failure at any point leaves the previous outputs as they were. `unchanged`: paths whose
    bytes on disk are already `files`' (as `stale` found); they are linked, not rewritten.
    """
    out_dir = out_dir.resolve()
    staging: Path | None = None
    retired: Path | None = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent)
        )
        for relative, data in sorted(files.items()):
            target = staging.joinpath(*_checked(relative).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            if relative not in unchanged or not _linked(out_dir, relative, target):
                target.write_bytes(data)
        if not out_dir.exists():
            os.rename(staging, out_dir)
        elif _exchange(staging, out_dir):
            retired = staging  # holds the previous outputs now
        else:
            retired = Path(
                tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent)
            )
            os.rmdir(retired)
            os.rename(out_dir, retired)
            os.rename(staging, out_dir)
        staging = None
    except OSError as error:
        raise io_error(out_dir, error) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _linked(out_dir: Path, relative: str, target: Path) -> bool:
    """A hard link to the current file (one system call instead of a write); False where
    the file system has none, and the caller writes the bytes instead."""
    current = out_dir.joinpath(*_checked(relative).parts)
    try:
        if not stat.S_ISREG(os.lstat(current).st_mode):
            return False  # a link or special file in its place: write a plain file
        os.link(current, target, follow_symlinks=False)
    except OSError:
        return False
    return True


def _exchange(new: Path, current: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE, macOS renamex_np
    RENAME_SWAP): there is no moment without an output folder. False where unsupported.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError):
        return False
    a, b = os.fsencode(new), os.fsencode(current)
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2
        result = libc.renameat2(at_fdcwd, a, at_fdcwd, b, rename_exchange)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(a, b, 0x2)  # RENAME_SWAP
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # a file system without the exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(current))


def _leftover_pattern(out_dir: Path) -> re.Pattern[str]:
    # tempfile.mkdtemp's names: the prefix and eight characters of [a-z0-9_]
    return re.compile(re.escape(f".{out_dir.name}.") + r"(new|old)-[a-z0-9_]{8}")


def recover(out_dir: Path) -> list[str]:
    """After an interrupted run (call with the lock held): bring back the previous outputs if
    the run died between its two renames, then remove the staging and retired folders it left.
    Returns what was done, one line each."""
    out_dir = out_dir.resolve()
    if not out_dir.parent.is_dir():
        return []
    pattern = _leftover_pattern(out_dir)
    leftovers = sorted(
        p for p in out_dir.parent.iterdir() if pattern.fullmatch(p.name) and p.is_dir()
    )
    notes = []
    retired = [p for p in leftovers if ".old-" in p.name]
    if not out_dir.exists() and retired:
        newest = max(retired, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, out_dir)
        leftovers.remove(newest)
        notes.append(
            f"{out_dir.name}/ restored from {newest.name}, left by an interrupted run"
        )
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
        notes.append(f"removed {path.name}, left by an interrupted run")
    return notes


def interrupted(out_dir: Path) -> list[str]:
    """The folders an interrupted run left beside `out_dir` (for `check`, which writes nothing)."""
    out_dir = out_dir.resolve()
    if not out_dir.parent.is_dir():
        return []
    pattern = _leftover_pattern(out_dir)
    return sorted(p.name for p in out_dir.parent.iterdir() if pattern.fullmatch(p.name))


@contextlib.contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """One writer per output folder: a lock file beside it, held (by the system, so a killed
    run releases it) for the whole run; a second run is told at once instead of racing.
    """
    out_dir = out_dir.resolve()
    path = out_dir.parent / f".{out_dir.name}.lock"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(handle):
                os.close(handle)
                raise fail(
                    out_dir.name,
                    None,
                    f"another specgen run is writing {out_dir.name}/ (it holds {path.name}); "
                    "wait for it to finish and run again",
                )
            # The previous holder may have removed the file after we opened it: lock the live one.
            try:
                if os.stat(path).st_ino == os.fstat(handle).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(handle)
    except OSError as error:
        raise io_error(out_dir, error) from None
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(handle)  # closing releases the lock


def _try_lock(handle: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def guard(
    out_dir: Path, root: Path, protected: list[Path], force: bool = False
) -> None:
    """Refuse (exit 2, saying why and what to do) an output folder that is not specgen's to
    replace: the project root or above it, a folder holding the config or an input (never, even
    with --force), a folder with files specgen did not write, or user files added inside a
    generated folder (unless --force)."""
    out, top = out_dir.resolve(), root.resolve()
    name = _shown(out_dir, root)
    if out == top or out in top.parents:
        raise fail(
            name,
            None,
            f"refusing to use {name} as the output folder: it is the project root or above it, "
            "and generate replaces the whole folder; set `out` to a folder of its own, "
            'e.g. out = "generated"',
        )
    inside = sorted(_shown(p, root) for p in protected if out in p.resolve().parents)
    if inside:
        raise fail(
            name,
            None,
            f"refusing to use {name} as the output folder: it holds {', '.join(inside[:SHOWN])}, "
            "which generate would delete; set `out` to a folder of its own",
        )
    if out.exists() and not out.is_dir():
        raise fail(
            name, None, f"the output folder {name} is a file; remove it or set `out`"
        )
    if force or not out.is_dir():
        return
    present = manifest.files_on_disk(out)
    if not present:
        return
    recorded = manifest.read(out)
    if recorded is None:
        raise fail(
            name,
            None,
            f"refusing to replace {name}: it holds {_listing(sorted(present))} and no "
            f"{manifest.NAME}, so specgen did not write it; choose an empty or new folder "
            "for `out`, or pass --force to replace it with the generated files",
        )
    foreign = sorted(set(present) - set(recorded["files"]) - {manifest.NAME})
    if foreign:
        raise fail(
            name,
            None,
            f"refusing to replace {name}: {_listing(foreign)} were not written by specgen "
            f"(not in {manifest.NAME}); move them out of the folder, or pass --force to "
            "delete them",
        )


def _shown(path: Path, root: Path) -> str:
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
        return "." if relative == "." else relative + ("/" if path.is_dir() else "")
    except ValueError:
        return str(path)


def _listing(paths: list[str]) -> str:
    shown = ", ".join(paths[:SHOWN])
    more = len(paths) - SHOWN
    return f"{len(paths)} files ({shown}{f' and {more} more' if more > 0 else ''})"


def on_disk(out_dir: Path) -> dict[str, bytes]:
    try:
        return {
            path: file.read_bytes()
            for path, file in manifest.files_on_disk(out_dir).items()
        }
    except OSError as error:
        raise fail(
            out_dir.name, None, f"cannot read the output folder: {error}"
        ) from None


def stale(out_dir: Path, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """[(path, "changed" | "missing" | "extra")]: how disk differs from `files`."""
    current = on_disk(out_dir)
    problems = []
    for path in sorted(set(files) | set(current)):
        if path not in current:
            problems.append((path, "missing"))
        elif path not in files:
            problems.append((path, "extra"))
        elif current[path] != files[path]:
            problems.append((path, "changed"))
    return problems
