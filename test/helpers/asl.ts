/** Reading Amazon States Language definitions in tests. */

/** Every Task state of a definition's `States`, Map iterations included, as [name, state] pairs in definition order. */
export function taskStates(states: Record<string, Record<string, any>>): [string, Record<string, any>][] {
  return Object.entries(states).flatMap(([name, s]) =>
    s.Type === 'Task' ? [[name, s] as [string, Record<string, any>]] : s.Type === 'Map' ? taskStates(s.ItemProcessor.States) : [],
  );
}
