package dev.oomwatch.collector.container;

import java.util.regex.Pattern;

/**
 * Whether a text read from a container can stand as a Kubernetes name: pod names are DNS-1123
 * subdomains (at most 253 characters of {@code a-z 0-9 - .}), namespaces and container names
 * DNS-1123 labels (at most 63). Anything else (an environment dump, a path, a line break, a
 * thousand bytes) is not a name and goes nowhere. Pure.
 */
public final class KubeNames {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private KubeNames() {}

  public static boolean podName(final String text) {
    return text != null && text.length() <= 253 && SUBDOMAIN.matcher(text).matches();
  }

  public static boolean label(final String text) {
    return text != null && LABEL.matcher(text).matches();
  }
}
