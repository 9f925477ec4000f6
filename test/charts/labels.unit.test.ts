import { describe, expect, it } from 'vitest';
import { selectorLabels, standardLabels } from '../../charts/labels.js';

describe('standard labels', () => {
  it('carries the recommended app.kubernetes.io labels, omitting unknown ones', () => {
    expect(
      standardLabels({ name: 'llama-model', instance: 'gemma', component: 'server', version: '1.2.3' }),
    ).toEqual({
      'app.kubernetes.io/name': 'llama-model',
      'app.kubernetes.io/instance': 'gemma',
      'app.kubernetes.io/component': 'server',
      'app.kubernetes.io/version': '1.2.3',
      'app.kubernetes.io/part-of': 'kubellama',
      'app.kubernetes.io/managed-by': 'kubellama',
    });
    expect(standardLabels({ name: 'jaeger', instance: 'jaeger' })).not.toHaveProperty(
      'app.kubernetes.io/version',
    );
  });

  it('selects on name and instance only, a subset of the full set', () => {
    const full = standardLabels({ name: 'llama-model', instance: 'gemma', version: '2' });
    const selector = selectorLabels({ name: 'llama-model', instance: 'gemma' });
    expect(Object.keys(selector)).toEqual(['app.kubernetes.io/name', 'app.kubernetes.io/instance']);
    for (const [key, value] of Object.entries(selector)) expect(full[key]).toBe(value);
  });
});
