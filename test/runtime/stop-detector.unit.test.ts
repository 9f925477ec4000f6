// Stop strings cut the text before their first occurrence, even when split across tokens, and a
// streamed answer never shows the start of a stop string.
import { describe, expect, it } from 'vitest';
import { StopDetector } from '../../runtime/engine/stop-detector.js';

function run(stops: string[], pieces: string[]) {
  const detector = new StopDetector(stops);
  const shown: string[] = [];
  for (const piece of pieces) {
    shown.push(detector.push(piece));
    if (detector.stopped) break;
  }
  shown.push(detector.flush());
  return { text: shown.join(''), shown, stopped: detector.stopped, all: detector.text };
}

describe('StopDetector', () => {
  it('passes text through when there are no stops', () => {
    expect(run([], ['ab', 'cd'])).toMatchObject({ text: 'abcd', stopped: false, all: 'abcd' });
  });

  it('stops before a stop string inside one piece', () => {
    expect(run(['END'], ['hello END world'])).toMatchObject({ text: 'hello ', stopped: true });
  });

  it('stops before a stop string split across pieces, never showing its start', () => {
    const result = run(['END'], ['hello E', 'N', 'D and more']);
    expect(result).toMatchObject({ text: 'hello ', stopped: true });
    expect(result.shown).toEqual(['hello ', '', '', '']);
  });

  it('releases held-back text when the stop string does not follow', () => {
    const result = run(['END'], ['hello E', 'NOUGH']);
    expect(result).toMatchObject({ text: 'hello ENOUGH', stopped: false });
    expect(result.shown[0]).toBe('hello ');
  });

  it('releases a held-back tail at the end of generation', () => {
    expect(run(['END'], ['the E'])).toMatchObject({ text: 'the E', stopped: false });
  });

  it('stops at the earliest of several stop strings', () => {
    expect(run(['zz', 'b'], ['a', 'b', 'zz'])).toMatchObject({ text: 'a', stopped: true });
    expect(run(['\n\n', '###'], ['x\n', '\n###'])).toMatchObject({ text: 'x', stopped: true });
  });

  it('ignores empty stop strings', () => {
    expect(run([''], ['abc'])).toMatchObject({ text: 'abc', stopped: false });
  });

  it('gives nothing more once stopped', () => {
    const detector = new StopDetector(['x']);
    detector.push('axb');
    expect(detector.push('more')).toBe('');
    expect(detector.flush()).toBe('');
    expect(detector.text).toBe('a');
  });
});
