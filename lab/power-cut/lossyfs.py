#!/usr/bin/python3
"""lossyfs: a FUSE passthrough that forgets every write not yet fsynced when the power is cut.

Usage: lossyfs.py BACKING_DIR MOUNT_POINT

The model (LazyFS's default, written anew for pyfuse3 + trio):
- Data: every write and every size change (write past the end, truncate, ftruncate, O_TRUNC) is
  held in this process's memory, a per-file cache of 4 KiB pages with their dirty extents and the
  file's logical size, and served back to readers from there over the backing file. Only fsync or
  fdatasync of that file writes its pages and its size to the backing file (then fsyncs it there).
  Nothing unsynced ever reaches the backing directory: not on close, not on unmount.
- Metadata: create, mkdir, link, unlink, rmdir, rename, chmod, chown and utimes go to the backing
  directory at once and survive a cut (directory fsync is a no-op). So a file created, written and
  renamed without an fsync survives a cut as an empty file under its new name: the zero-length-file
  outcome a journalling file system gives delayed-allocation data.
- A cut (SIGUSR1) drops every unsynced page and size change and stops serving: every later
  operation fails with EIO, so nothing more can reach the backing directory. It prints
  `cut {"droppedBytes": …, "droppedFiles": …, "droppedShmBytes": …}` on stdout once done.
- SIGTERM, SIGINT or stdin closing (the parent gone) unmount; so does `fusermount3 -u` from outside.
  On exit it prints `stats {…}`.

What SQLite in WAL mode needs from it: files are never opened with direct_io, so the kernel's page
cache serves MAP_SHARED mmap of the -shm file to every process alike; the file system implements no
lock operations, so the kernel keeps POSIX (fcntl) locks itself, across processes of this mount.
Handlers never await, so each runs whole between two cuts: an fsync either reached the backing file
before a cut or not at all.
"""

import errno
import json
import os
import signal
import stat
import sys
import time

import pyfuse3
import trio

PAGE = 4096
# The kernel may cache names and attributes this long: every change passes through it anyway.
TIMEOUT_S = 1.0


class Node:
    """One open or dirty file: its backing fd, its dirty pages and its size as readers see it."""

    __slots__ = ('fd', 'opens', 'pages', 'extents', 'size', 'backing_size', 'zero_from', 'size_dirty', 'mtime_ns',
                 'unlinked', 'path')

    def __init__(self, fd, path):
        self.fd = fd
        self.path = path
        self.opens = 0
        self.pages = {}  # page index -> bytearray(PAGE), the file's content as last written
        self.extents = {}  # page index -> (lo, hi): the bytes of that page written since the last fsync
        self.backing_size = os.fstat(fd).st_size
        self.size = self.backing_size
        # Backing bytes at or past this offset were truncated away (in memory only): they read as zeros.
        self.zero_from = None
        self.size_dirty = False
        self.mtime_ns = None
        self.unlinked = False

    def dirty(self):
        return bool(self.extents) or self.size_dirty

    def dirty_bytes(self):
        return sum(hi - lo for lo, hi in self.extents.values())

    def load(self, index):
        """The page as it stands: cached, or read from the backing file (zeros past its end or a truncation)."""
        page = self.pages.get(index)
        if page is not None:
            return page
        start = index * PAGE
        data = os.pread(self.fd, PAGE, start)
        if self.zero_from is not None and start + len(data) > self.zero_from:
            data = data[:max(0, self.zero_from - start)]
        page = bytearray(data)
        page.extend(bytes(PAGE - len(page)))
        self.pages[index] = page
        return page

    def read(self, offset, size):
        end = min(offset + size, self.size)
        if end <= offset:
            return b''
        if not self.pages and self.zero_from is None:
            data = os.pread(self.fd, end - offset, offset)
            return data + bytes(end - offset - len(data))
        out = bytearray()
        position = offset
        while position < end:
            index, within = divmod(position, PAGE)
            take = min(PAGE - within, end - position)
            page = self.pages.get(index)
            if page is None:
                # Not cached: read it without caching it, so reads never grow the cache.
                page = self.load(index)
                del self.pages[index]
            out += page[within:within + take]
            position += take
        return bytes(out)

    def write(self, offset, buf):
        position = offset
        view = memoryview(buf)
        done = 0
        while done < len(buf):
            index, within = divmod(position, PAGE)
            take = min(PAGE - within, len(buf) - done)
            page = self.pages.get(index)
            if page is None:
                if within == 0 and take == PAGE:
                    page = bytearray(PAGE)
                    self.pages[index] = page
                else:
                    page = self.load(index)
            page[within:within + take] = view[done:done + take]
            lo, hi = self.extents.get(index, (within, within + take))
            self.extents[index] = (min(lo, within), max(hi, within + take))
            position += take
            done += take
        if position > self.size:
            self.size = position
            self.size_dirty = True
        self.mtime_ns = time.time_ns()
        return len(buf)

    def truncate(self, size):
        if size < self.size:
            for index in [i for i in self.pages if i * PAGE >= size]:
                del self.pages[index]
                self.extents.pop(index, None)
            index, within = divmod(size, PAGE)
            page = self.pages.get(index)
            if page is not None:
                page[within:] = bytes(PAGE - within)
            self.zero_from = size if self.zero_from is None else min(self.zero_from, size)
        self.size = size
        self.size_dirty = True
        self.mtime_ns = time.time_ns()

    def sync(self, datasync):
        """What fsync promises: this file's pages and size in the backing file, fsynced there."""
        if self.zero_from is not None and self.zero_from < self.backing_size:
            os.ftruncate(self.fd, self.zero_from)
        for index in sorted(self.extents):
            lo, hi = self.extents[index]
            start = index * PAGE
            hi = min(hi, self.size - start)
            if hi > lo:
                os.pwrite(self.fd, self.pages[index][lo:hi], start + lo)
        if os.fstat(self.fd).st_size != self.size:
            os.ftruncate(self.fd, self.size)
        (os.fdatasync if datasync else os.fsync)(self.fd)
        written = self.dirty_bytes()
        self.pages.clear()
        self.extents.clear()
        self.zero_from = None
        self.size_dirty = False
        self.backing_size = self.size
        return written

    def drop(self):
        """A power cut: forget everything unsynced."""
        self.pages.clear()
        self.extents.clear()
        self.zero_from = None
        self.size_dirty = False
        self.size = self.backing_size


class LossyFs(pyfuse3.Operations):
    def __init__(self, backing):
        super().__init__()
        self.cut = False
        self.inodes = {}  # (st_dev, st_ino) -> inode
        self.paths = {pyfuse3.ROOT_INODE: backing}  # inode -> backing path
        root = os.lstat(backing)
        self.inodes[(root.st_dev, root.st_ino)] = pyfuse3.ROOT_INODE
        self.next_inode = pyfuse3.ROOT_INODE + 1
        self.nodes = {}  # inode -> Node (open or dirty files)
        self.handles = {}  # fh -> inode
        self.next_fh = 1
        self.stats = {'writes': 0, 'writtenBytes': 0, 'fsyncs': 0, 'syncedBytes': 0, 'cuts': 0}

    # --- the cut -------------------------------------------------------------------------------

    def power_cut(self):
        dropped = {'droppedBytes': 0, 'droppedFiles': 0, 'droppedShmBytes': 0}
        for node in self.nodes.values():
            if node.dirty():
                lost = node.dirty_bytes()
                dropped['droppedBytes'] += lost
                dropped['droppedFiles'] += 1
                if node.path.endswith('-shm'):
                    dropped['droppedShmBytes'] += lost
            node.drop()
        self.cut = True
        self.stats['cuts'] += 1
        return dropped

    def alive(self):
        if self.cut:
            raise pyfuse3.FUSEError(errno.EIO)

    # --- names ---------------------------------------------------------------------------------

    def path_of(self, inode):
        try:
            return self.paths[inode]
        except KeyError:
            raise pyfuse3.FUSEError(errno.ENOENT)

    def child(self, parent, name):
        return os.path.join(self.path_of(parent), os.fsdecode(name))

    def inode_for(self, st, path):
        key = (st.st_dev, st.st_ino)
        inode = self.inodes.get(key)
        if inode is None:
            inode = self.next_inode
            self.next_inode += 1
            self.inodes[key] = inode
        self.paths[inode] = path
        return inode

    def attributes(self, inode, st):
        entry = pyfuse3.EntryAttributes()
        for field in ('st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_rdev', 'st_size', 'st_atime_ns',
                      'st_mtime_ns', 'st_ctime_ns', 'st_blksize', 'st_blocks'):
            setattr(entry, field, getattr(st, field))
        node = self.nodes.get(inode)
        if node is not None:
            entry.st_size = node.size
            entry.st_blocks = (node.size + 511) // 512
            if node.mtime_ns is not None:
                entry.st_mtime_ns = max(entry.st_mtime_ns, node.mtime_ns)
        entry.st_ino = inode
        entry.generation = 0
        entry.entry_timeout = TIMEOUT_S
        entry.attr_timeout = TIMEOUT_S
        return entry

    def stat_of(self, inode):
        node = self.nodes.get(inode)
        try:
            return os.fstat(node.fd) if node is not None else os.lstat(self.path_of(inode))
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)

    async def lookup(self, parent_inode, name, ctx=None):
        self.alive()
        path = self.child(parent_inode, name)
        try:
            st = os.lstat(path)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        inode = self.inode_for(st, path)
        return self.attributes(inode, st)

    async def forget(self, inode_list):
        pass  # inodes stay known: a data dir holds few files

    async def getattr(self, inode, ctx=None):
        self.alive()
        return self.attributes(inode, self.stat_of(inode))

    async def setattr(self, inode, attr, fields, fh, ctx):
        self.alive()
        path = self.path_of(inode)
        try:
            if fields.update_size:
                node = self.open_node(inode)
                try:
                    node.truncate(attr.st_size)
                finally:
                    self.close_if_idle(inode)
            if fields.update_mode:
                os.chmod(path, stat.S_IMODE(attr.st_mode))
            if fields.update_uid or fields.update_gid:
                os.chown(path, attr.st_uid if fields.update_uid else -1, attr.st_gid if fields.update_gid else -1)
            if fields.update_atime or fields.update_mtime:
                st = os.lstat(path)
                os.utime(path, ns=(attr.st_atime_ns if fields.update_atime else st.st_atime_ns,
                                   attr.st_mtime_ns if fields.update_mtime else st.st_mtime_ns))
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        return self.attributes(inode, self.stat_of(inode))

    async def statfs(self, ctx):
        self.alive()
        st = os.statvfs(self.paths[pyfuse3.ROOT_INODE])
        data = pyfuse3.StatvfsData()
        for field in ('f_bsize', 'f_frsize', 'f_blocks', 'f_bfree', 'f_bavail', 'f_files', 'f_ffree', 'f_favail',
                      'f_namemax'):
            setattr(data, field, getattr(st, field))
        return data

    async def access(self, inode, mode, ctx):
        self.alive()
        return True

    # --- directories: metadata goes straight to the backing directory ----------------------------

    async def opendir(self, inode, ctx):
        self.alive()
        return inode

    async def readdir(self, fh, start_id, token):
        self.alive()
        path = self.path_of(fh)
        names = sorted(os.listdir(path))
        for index in range(start_id, len(names)):
            child = os.path.join(path, names[index])
            try:
                st = os.lstat(child)
            except FileNotFoundError:
                continue
            inode = self.inode_for(st, child)
            if not pyfuse3.readdir_reply(token, os.fsencode(names[index]), self.attributes(inode, st), index + 1):
                return

    async def releasedir(self, fh):
        pass

    async def fsyncdir(self, fh, datasync):
        self.alive()  # names are on the backing directory already

    async def mkdir(self, parent_inode, name, mode, ctx):
        self.alive()
        path = self.child(parent_inode, name)
        try:
            os.mkdir(path, mode)
            st = os.lstat(path)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        return self.attributes(self.inode_for(st, path), st)

    async def rmdir(self, parent_inode, name, ctx):
        self.alive()
        path = self.child(parent_inode, name)
        try:
            os.rmdir(path)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)

    async def unlink(self, parent_inode, name, ctx):
        self.alive()
        path = self.child(parent_inode, name)
        try:
            st = os.lstat(path)
            os.unlink(path)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        self.unlinked(st)

    def unlinked(self, st):
        """A name is gone: its file's unsynced data goes with its last name and last handle."""
        if st.st_nlink > 1:
            return
        inode = self.inodes.pop((st.st_dev, st.st_ino), None)
        if inode is None:
            return
        node = self.nodes.get(inode)
        if node is None:
            self.paths.pop(inode, None)
            return
        node.unlinked = True
        self.close_if_idle(inode)

    async def link(self, inode, new_parent_inode, new_name, ctx):
        self.alive()
        path = self.child(new_parent_inode, new_name)
        try:
            os.link(self.path_of(inode), path)
            st = os.lstat(path)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        self.paths[inode] = path
        return self.attributes(inode, st)

    async def rename(self, parent_inode_old, name_old, parent_inode_new, name_new, flags, ctx):
        self.alive()
        old = self.child(parent_inode_old, name_old)
        new = self.child(parent_inode_new, name_new)
        if flags & pyfuse3.RENAME_EXCHANGE:
            raise pyfuse3.FUSEError(errno.EINVAL)
        try:
            replaced = os.lstat(new)
        except FileNotFoundError:
            replaced = None
        if replaced is not None and flags & pyfuse3.RENAME_NOREPLACE:
            raise pyfuse3.FUSEError(errno.EEXIST)
        try:
            moved = os.lstat(old)
            os.rename(old, new)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        if replaced is not None and (replaced.st_dev, replaced.st_ino) != (moved.st_dev, moved.st_ino):
            self.unlinked(replaced)
        # Everything known under the old name (the file, or a directory's children) moves with it.
        for inode, path in list(self.paths.items()):
            if path == old or path.startswith(old + os.sep):
                self.paths[inode] = new + path[len(old):]
                if inode in self.nodes:
                    self.nodes[inode].path = self.paths[inode]

    # --- files: data stays here until fsync ------------------------------------------------------

    def open_node(self, inode):
        node = self.nodes.get(inode)
        if node is None:
            path = self.path_of(inode)
            try:
                fd = os.open(path, os.O_RDWR)
            except PermissionError:
                fd = os.open(path, os.O_RDONLY)
            except OSError as error:
                raise pyfuse3.FUSEError(error.errno)
            node = Node(fd, path)
            self.nodes[inode] = node
        return node

    def close_if_idle(self, inode):
        """An unused file keeps its backing fd only while it holds unsynced data (an unlinked one: never)."""
        node = self.nodes.get(inode)
        if node is None or node.opens > 0 or (node.dirty() and not node.unlinked):
            return
        os.close(node.fd)
        del self.nodes[inode]
        if node.unlinked:
            self.paths.pop(inode, None)

    def handle(self, inode, flags):
        node = self.open_node(inode)
        node.opens += 1
        if flags & os.O_TRUNC:
            node.truncate(0)
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = inode
        info = pyfuse3.FileInfo(fh=fh)
        # Never direct_io: the kernel's page cache is what makes MAP_SHARED (SQLite's -shm) work.
        info.direct_io = False
        # Every write to this mount passes through this kernel's cache, so it stays right between opens.
        info.keep_cache = True
        return info

    def node_of(self, fh):
        try:
            return self.nodes[self.handles[fh]]
        except KeyError:
            raise pyfuse3.FUSEError(errno.EBADF)

    async def open(self, inode, flags, ctx):
        self.alive()
        return self.handle(inode, flags)

    async def create(self, parent_inode, name, mode, flags, ctx):
        self.alive()
        path = self.child(parent_inode, name)
        try:
            # The name is made on the backing directory now (metadata survives a cut); its bytes are not.
            fd = os.open(path, os.O_CREAT | os.O_RDWR | (flags & os.O_EXCL), stat.S_IMODE(mode))
            st = os.fstat(fd)
            os.close(fd)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        inode = self.inode_for(st, path)
        info = self.handle(inode, flags)
        return info, self.attributes(inode, st)

    async def read(self, fh, off, size):
        self.alive()
        try:
            return self.node_of(fh).read(off, size)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)

    async def write(self, fh, off, buf):
        self.alive()
        try:
            written = self.node_of(fh).write(off, buf)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        self.stats['writes'] += 1
        self.stats['writtenBytes'] += written
        return written

    async def flush(self, fh):
        self.alive()  # close() is not fsync: nothing reaches the backing file here

    async def fsync(self, fh, datasync):
        self.alive()
        try:
            self.stats['syncedBytes'] += self.node_of(fh).sync(datasync)
        except OSError as error:
            raise pyfuse3.FUSEError(error.errno)
        self.stats['fsyncs'] += 1

    async def release(self, fh):
        inode = self.handles.pop(fh, None)
        node = self.nodes.get(inode)
        if node is not None:
            node.opens -= 1
            self.close_if_idle(inode)


def say(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


async def serve(fs):
    async with trio.open_nursery() as nursery:

        async def signals():
            with trio.open_signal_receiver(signal.SIGUSR1, signal.SIGTERM, signal.SIGINT) as received:
                async for signum in received:
                    if signum == signal.SIGUSR1:
                        say('cut ' + json.dumps(fs.power_cut()))
                    else:
                        pyfuse3.terminate()

        async def parent_gone():
            stream = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
            while await stream.receive_some(1024):
                pass
            pyfuse3.terminate()

        nursery.start_soon(signals)
        nursery.start_soon(parent_gone)
        await pyfuse3.main()
        nursery.cancel_scope.cancel()


def main():
    backing, mount_point = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    fs = LossyFs(backing)
    options = set(pyfuse3.default_options)
    options.add('fsname=lossyfs')
    options.discard('default_permissions')
    pyfuse3.init(fs, mount_point, options)
    say('ready')
    try:
        trio.run(serve, fs)
    finally:
        # Unmounted from outside already, or terminated here: either way nothing unsynced is written.
        pyfuse3.close(unmount=True)
        say('stats ' + json.dumps(fs.stats))


if __name__ == '__main__':
    main()
