package dev.oomwatch.collector.discover;

/**
 * What the kernel says of a server outside any container (in the host's mount and user namespaces,
 * whatever its cgroup), which the process cannot forge: the path
 * of the file it runs ({@code /proc/PID/exe}), whether that file is the system's (owned by root and
 * writable by no one else, so not a copy a user made and named redis-server), and the real uid the
 * process runs as, with that uid's name in the host's {@code /etc/passwd} (null when it has none).
 */
public record HostExecutable(String path, boolean systemOwned, int uid, String user) {

  /** Whether {@code owner} (a uid or a user name) is the user this process runs as. */
  public boolean runsAs(final String owner) {
    return owner.equals(String.valueOf(uid)) || owner.equals(user);
  }
}
