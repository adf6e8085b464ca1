package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessPrivilegesTest {
  @Test
  void theDroppedCollectorReadsButWritesNothingItDoesNotOwn() {
    // what bin/oomwatch collector started as root runs as (measured on this machine)
    final ProcessPrivileges p = ProcessPrivileges.parse("Name:\tjava\nUid:\t65534\t65534\t65534\t65534\n"
        + "CapInh:\t0000000400080004\nCapPrm:\t0000000400080004\nCapEff:\t0000000400080004\n");
    assertThat(p.uid()).isEqualTo(65534);
    assertThat(p.capabilities()).containsExactly("dac_read_search", "sys_ptrace", "syslog");
    assertThat(p.writesFilesItDoesNotOwn()).isFalse();
  }

  @Test
  void rootOrAnOverrideWritesAnything() {
    assertThat(ProcessPrivileges.parse("Uid:\t0\t0\t0\t0\nCapEff:\t0000000000080000\n").writesFilesItDoesNotOwn())
        .isTrue();
    final ProcessPrivileges override = ProcessPrivileges.parse("Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000002\n");
    assertThat(override.capabilities()).containsExactly("dac_override");
    assertThat(override.writesFilesItDoesNotOwn()).isTrue();
    assertThat(ProcessPrivileges.parse("Uid:\t1\t1\t1\t1\nCapEff:\t8000000000000000\n").capabilities())
        .containsExactly("cap_63");
  }

  @Test
  void aStatusWithoutUidIsSaid() {
    assertThatThrownBy(() -> ProcessPrivileges.parse("Name:\tx\n")).hasMessageContaining("Uid");
  }
}
