/**
 * The community topics (communityvirtualpowerplant smartPowerStation, components/MQTT.py):
 * events on `OpenDemandResponse/Event/<network>` with the network's spaces removed
 * (`Crown Heights` → `CrownHeights`), participant data on `OpenDemandResponse/Participant/<name>`.
 */
export function eventTopic(network: string): string {
  return `OpenDemandResponse/Event/${topicWord(network)}`;
}

export function participantTopic(name: string): string {
  return `OpenDemandResponse/Participant/${topicWord(name)}`;
}

/** Spaces removed; MQTT wildcards and separators refused, so a name cannot widen the subscription. */
export function topicWord(name: string): string {
  const word = name.replace(/\s+/g, '');
  if (word === '' || /[#+/]/.test(word) || word.includes('\u0000')) {
    throw new TypeError(`network name "${name}": must be non-empty and contain no '#', '+' or '/'`);
  }
  return word;
}
