package dev.oomwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.PodSpec;
import org.junit.jupiter.api.Test;

class PodSecurityTest {
  private static final YAMLMapper YAML = new YAMLMapper();

  private static PodSpec pod(final String yaml) throws Exception {
    return YAML.readValue(yaml, PodSpec.class);
  }

  @Test
  void aPodThatDoesEverythingRestrictedAsksPasses() throws Exception {
    assertThat(PodSecurity.restrictedViolations(pod("""
        securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
        containers:
          - name: c
            image: i
            securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}
        volumes: [{name: t, emptyDir: {}}]
        """))).isEmpty();
  }

  @Test
  void eachMissingOrForbiddenFieldIsNamed() throws Exception {
    assertThat(PodSecurity.restrictedViolations(pod("""
        hostPID: true
        securityContext: {runAsUser: 0}
        containers:
          - name: c
            image: i
            ports: [{containerPort: 80, hostPort: 80}]
            securityContext: {capabilities: {add: [SYS_PTRACE]}}
        volumes: [{name: p, hostPath: {path: /proc}}, {name: n, nfs: {server: s, path: /}}]
        """))).containsExactlyInAnyOrder("hostPID", "hostPath volumes", "volume types (other)", "runAsUser=0",
        "hostPorts", "allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile", "capabilities (drop ALL)",
        "capabilities (add)");
  }
}
