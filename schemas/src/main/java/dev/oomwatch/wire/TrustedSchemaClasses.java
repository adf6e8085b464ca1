package dev.oomwatch.wire;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12.2 refuses to instantiate generated classes from packages it was not told to trust
 * and throws a SecurityException deep inside a decode. oomwatch trusts its own generated package
 * once, process-wide, on top of whatever the user configured, so no user ever meets that error.
 */
public final class TrustedSchemaClasses {
  static final String PACKAGE = "dev.oomwatch.schema";
  private static boolean installed;

  private TrustedSchemaClasses() {}

  /**
   * Trusts oomwatch's generated classes. The serdes call it; so does code that builds a record
   * holding an array of records (a KernelEvent's group victims) before any serde exists, because
   * the builder deep-copies that array's default through the same check.
   */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    final ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
    final ClassSecurityValidator.ClassSecurityPredicate ours =
        type -> type.getPackage() != null && PACKAGE.equals(type.getPackage().getName());
    ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous, ours));
    installed = true;
  }
}
