package dev.oomwatch.collector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who this process runs as, from {@code /proc/self/status}: its effective uid and capabilities.
 * Said at start, because what the collector can write on a node follows from them: uid 0 writes
 * every root-owned file, which {@code /proc/PID/root} reaches; another uid without
 * {@code dac_override} or {@code fowner} writes only its own.
 */
public record ProcessPrivileges(long uid, List<String> capabilities) {
  /** Capability names by bit, as linux/capability.h numbers them. */
  private static final String[] NAMES = {
      "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
      "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
      "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
      "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
      "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
      "checkpoint_restore"};

  /** The capabilities that let a process write files it does not own. */
  private static final List<String> WRITE_ANY = List.of("dac_override", "fowner", "chown", "sys_admin");

  public static ProcessPrivileges ofSelf() throws IOException {
    return parse(Files.readString(Path.of("/proc/self/status")));
  }

  /** From the text of {@code /proc/PID/status}: the effective uid (second of {@code Uid:}) and {@code CapEff:}. */
  static ProcessPrivileges parse(final String status) {
    long uid = -1;
    long effective = 0;
    for (final String line : status.split("\n")) {
      if (line.startsWith("Uid:")) {
        uid = Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
      } else if (line.startsWith("CapEff:")) {
        effective = Long.parseUnsignedLong(line.substring(7).trim(), 16);
      }
    }
    if (uid < 0) {
      throw new IllegalArgumentException("no Uid: line in the status text");
    }
    final List<String> names = new ArrayList<>();
    for (int bit = 0; bit < 64; bit++) {
      if ((effective >>> bit & 1) == 1) {
        names.add(bit < NAMES.length ? NAMES[bit] : "cap_" + bit);
      }
    }
    return new ProcessPrivileges(uid, List.copyOf(names));
  }

  /** Whether this process may write files of the node that it does not own. */
  public boolean writesFilesItDoesNotOwn() {
    return uid == 0 || capabilities.stream().anyMatch(WRITE_ANY::contains);
  }
}
