package dev.oomwatch.detect;

import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Map;

/** A detector's verdict that its condition holds now, with what a person on call needs. */
public record Finding(
    AlertType type, Severity severity, String summary, Map<String, String> evidence, String firstCheck, String fix) {}
