// Puts Helm template actions at known paths of the cdk8s objects. The objects get a unique token at
// each path (a value, a map key or a list item); after the objects are written as YAML, each token's
// line (or the token itself) is replaced by its template text, indented where the token stood. So
// what is templated is chosen by object path, never by searching the YAML for a value.

/** Template text for the line a token stood on, given that line's indentation. */
export type LineRewrite = (indent: string, head: string) => string;

export class HelmTemplater {
  private next = 0;
  private readonly lines = new Map<string, LineRewrite>();
  private readonly inline = new Map<string, { expression: string; once: boolean }>();

  private token(): string {
    return `helm-token-${this.next++}-x`;
  }

  /** A token that becomes the template action `{{ expression }}` where it stands. */
  value(expression: string): string {
    const token = this.token();
    this.inline.set(token, { expression: `{{ ${expression} }}`, once: true });
    return token;
  }

  /**
   * Literal text the cdk8s props put in (e.g. a sentinel namespace or number, also inside config
   * strings), replaced everywhere it occurs by `{{ expression }}`.
   */
  literal(text: string, expression: string, once = false): void {
    this.inline.set(text, { expression: `{{ ${expression} }}`, once });
  }

  /** A map value: `key: {{- toYaml <values> | nindent }}` (a map or list from values). */
  yamlValue(valuesPath: string): string {
    return this.line(
      (indent, head) => `${indent}${head}{{- toYaml ${valuesPath} | nindent ${indent.length + 2} }}`,
    );
  }

  /**
   * A map key: `key: <value>` only when the value is set (non-empty); a scalar is written as it
   * is, a map or list as YAML.
   */
  optionalKey(key: string, valuesPath: string, scalar = false): string {
    return this.line((indent) =>
      [
        `${indent}{{- with ${valuesPath} }}`,
        scalar
          ? `${indent}${key}: {{ . }}`
          : `${indent}${key}:{{- toYaml . | nindent ${indent.length + 2} }}`,
        `${indent}{{- end }}`,
      ].join('\n'),
    );
  }

  /** A map key inside an existing map: the entries of the values map join it. */
  mapEntries(valuesPath: string): string {
    return this.line((indent) =>
      [
        `${indent}{{- with ${valuesPath} }}`,
        `${indent}{{- toYaml . | nindent ${indent.length} }}`,
        `${indent}{{- end }}`,
      ].join('\n'),
    );
  }

  /** A list item: an env entry `name` with the value, only when the value is set. */
  optionalEnv(name: string, valuesPath: string): string {
    return this.line((indent) =>
      [
        `${indent}{{- with ${valuesPath} }}`,
        `${indent}- name: ${name}`,
        `${indent}  value: {{ . | quote }}`,
        `${indent}{{- end }}`,
      ].join('\n'),
    );
  }

  /** A token whose whole line becomes `rewrite(indent, head)` (head: the text before the token). */
  line(rewrite: LineRewrite): string {
    const token = this.token();
    this.lines.set(token, rewrite);
    return token;
  }

  /**
   * Replaces every token and literal in `texts` (YAML written from the objects and config texts,
   * already Helm-escaped). A token found nowhere means the objects lost a templated path: that throws.
   */
  render(...texts: string[]): string[] {
    const seen = new Set<string>();
    let out = texts.map((text) =>
      text.replace(/^( *)(- )?(.*?)(helm-token-\d+-x)(: null)?$/gm, (match, indent, dash, head, token) => {
        const rewrite = this.lines.get(token);
        if (!rewrite) return match;
        seen.add(token);
        // A list item's own indentation is where its dash stands.
        return rewrite(indent, dash ? `- ${head}` : head);
      }),
    );
    const lost = [...this.lines.keys()].filter((token) => !seen.has(token));
    if (lost.length > 0) throw new Error(`Helm templating: ${lost.join(', ')} not found in the objects`);
    for (const [literal, { expression, once }] of this.inline) {
      const count = out.reduce((sum, text) => sum + text.split(literal).length - 1, 0);
      if (once && count !== 1)
        throw new Error(`Helm templating: "${literal}" occurs ${count} times, expected once`);
      out = out.map((text) => text.split(literal).join(expression));
    }
    return out;
  }
}
