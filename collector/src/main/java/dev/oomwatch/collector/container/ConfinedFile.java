package dev.oomwatch.collector.container;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Reads a small file inside a process's root ({@code /proc/PID/root}) that its container controls,
 * as root, without trusting the container: the path is resolved by the kernel with {@code openat2}
 * inside that root and refusing every symlink ({@code RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS}), opened first as {@code O_PATH} (which neither blocks on a FIFO nor runs
 * a device's open), and read only when that very inode is a regular file no larger than the cap.
 * A symlink to {@code /proc/self/environ}, a FIFO or {@code /dev/zero} is refused, never followed,
 * waited on or read without end. Where {@code openat2} is missing (a kernel before 5.6, a seccomp
 * profile that refuses it) nothing is read: there is no unsafe fallback.
 */
public final class ConfinedFile {
  private static final long SYS_OPENAT2 = 437; // the same number on every architecture (since 5.6)
  private static final int O_RDONLY = 0;
  private static final int O_NONBLOCK = 0x800;
  private static final int O_DIRECTORY = 0x10000;
  private static final int O_CLOEXEC = 0x80000;
  private static final int O_PATH = 0x200000;
  private static final long RESOLVE_NO_MAGICLINKS = 0x02;
  private static final long RESOLVE_NO_SYMLINKS = 0x04;
  private static final long RESOLVE_IN_ROOT = 0x10;

  /** What a read gave: the text, or why there is none. */
  public record Result(String text, String refused) {
    static Result refused(final String why) {
      return new Result(null, why);
    }

    public Optional<String> value() {
      return Optional.ofNullable(text);
    }
  }

  private interface LibC extends Library {
    long syscall(long number, Object... args) throws LastErrorException;

    int open(String path, int flags) throws LastErrorException;

    long read(int fd, com.sun.jna.Pointer buffer, long count) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  private static volatile LibC libc;
  private static volatile String unavailable;

  private ConfinedFile() {}

  /**
   * The text of {@code relative} (such as {@code etc/hostname}) under {@code root}, at most
   * {@code maxBytes} long; a larger file, a non-regular one or any symlink on the way is refused.
   */
  public static Result read(final Path root, final String relative, final int maxBytes) {
    final LibC c = libc();
    if (c == null) {
      return Result.refused(unavailable);
    }
    int rootFd = -1;
    int fd = -1;
    int readFd = -1;
    try {
      // the root itself is the kernel's magic link to the process's root: that one is followed
      rootFd = c.open(root.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      final Memory how = new Memory(24);
      // no O_NOFOLLOW: with it a trailing symlink would be opened as itself; without, it is ELOOP
      how.setLong(0, O_PATH | O_CLOEXEC);
      how.setLong(8, 0);
      how.setLong(16, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
      try {
        fd = (int) c.syscall(SYS_OPENAT2, rootFd, relative, how, 24L);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == 38 || e.getErrorCode() == 1) {
          // ENOSYS or EPERM from the call itself: a kernel before 5.6, or a seccomp profile refusing it
          unavailable = "openat2 is refused here (" + describe(e.getErrorCode()) + ")";
          return Result.refused(unavailable);
        }
        throw e;
      }
      final Path handle = Path.of("/proc/self/fd/" + fd);
      // stat of the inode the O_PATH descriptor holds: no open, so nothing can block or run
      final BasicFileAttributes attributes = Files.readAttributes(handle, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        return Result.refused("not a regular file");
      }
      if (attributes.size() > maxBytes) {
        return Result.refused("larger than " + maxBytes + " bytes (" + attributes.size() + ")");
      }
      // reopened through our own descriptor: the same inode, whatever the path now points at; and
      // non-blocking, so a lease the container holds on its file cannot hold this thread
      readFd = c.open(handle.toString(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      final Memory buffer = new Memory(maxBytes + 1);
      int length = 0;
      for (long n; length < maxBytes + 1 && (n = c.read(readFd, buffer.share(length), maxBytes + 1 - length)) > 0; ) {
        length += (int) n;
      }
      if (length > maxBytes) {
        return Result.refused("larger than " + maxBytes + " bytes");
      }
      return new Result(new String(buffer.getByteArray(0, length), StandardCharsets.UTF_8), null);
    } catch (LastErrorException e) {
      return Result.refused(describe(e.getErrorCode()));
    } catch (IOException | RuntimeException e) {
      return Result.refused(e.getClass().getSimpleName() + ": " + e.getMessage());
    } finally {
      closeQuietly(c, readFd);
      closeQuietly(c, fd);
      closeQuietly(c, rootFd);
    }
  }


  /** Null when confined reads work here; else why not (said once by the caller). */
  public static String unavailableReason() {
    libc();
    return unavailable;
  }

  private static LibC libc() {
    if (libc == null && unavailable == null) {
      synchronized (ConfinedFile.class) {
        if (libc == null && unavailable == null) {
          try {
            libc = Native.load("c", LibC.class);
          } catch (UnsatisfiedLinkError | RuntimeException e) {
            unavailable = "no native access to the C library (" + e.getMessage() + ")";
          }
        }
      }
    }
    return libc;
  }

  private static String describe(final int errno) {
    return switch (errno) {
      case 2 -> "missing";
      case 40 -> "a symlink on the way (refused)";
      case 18 -> "the path leaves the container's root (refused)";
      case 38 -> "openat2 is not available on this kernel (before 5.6, or refused by seccomp)";
      case 1, 13 -> "permission denied";
      default -> "errno " + errno;
    };
  }

  private static void closeQuietly(final LibC c, final int fd) {
    if (fd >= 0) {
      try {
        c.close(fd);
      } catch (LastErrorException e) {
        // nothing to do: the descriptor is gone either way
      }
    }
  }
}
