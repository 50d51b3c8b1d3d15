/**
 * `ticklake devices --mqtt-url URL`: simulated sensors publishing telemetry to an
 * MQTT broker of the user's (`devices/<device_id>/telemetry`, QoS 1), the same
 * sensors `ticklake up` runs against its embedded broker. With
 * `ticklake up --mqtt-url URL` on the same broker, the iot source has live data
 * without real devices.
 */
import { Option, type Command } from 'commander';
import { SimulatedDevices } from '../adapters/mqtt/devices.js';
import { int, parseDuration, positive, share } from './args.js';

interface DevicesOptions {
  readonly mqttUrl: string;
  readonly devices: number;
  readonly interval: number;
  readonly malformedShare: number;
  readonly for?: number;
  readonly quiet?: boolean;
}

const STATUS_EVERY_MS = 5_000;

/** Adds `devices` to the program. */
export function registerDevicesCommand(program: Command, shared: { usageError: (m: string) => Error }): void {
  program
    .command('devices')
    .description(
      'Run simulated sensors that publish JSON telemetry to devices/<device_id>/telemetry on an MQTT broker (QoS 1), until Ctrl-C or --for: live data for `ticklake up --mqtt-url` on the same broker',
    )
    .requiredOption('--mqtt-url <url>', 'broker to publish to, e.g. mqtt://127.0.0.1:1883')
    .addOption(new Option('--devices <n>', 'number of sensors').argParser(int('--devices', 1, 10_000)).default(12))
    .addOption(new Option('--interval <seconds>', "seconds between a sensor's readings").argParser(positive('--interval')).default(10))
    .addOption(new Option('--malformed-share <share>', 'share of malformed payloads (quarantined downstream), e.g. 0.05').argParser(share).default(0))
    .addOption(new Option('--for <duration>', 'stop after this long, e.g. 45s, 10m, 2h (default: until Ctrl-C)').argParser(parseDuration))
    .option('--quiet', 'no status line')
    .action(async (o: DevicesOptions) => {
      if (!/^mqtts?:\/\//.test(o.mqttUrl))
        throw shared.usageError(`--mqtt-url: expected mqtt://host:port or mqtts://host:port, got ${JSON.stringify(o.mqttUrl)}`);
      const devices = new SimulatedDevices({ url: o.mqttUrl, devices: o.devices, intervalSec: o.interval, malformedShare: o.malformedShare });
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const started = Date.now();
      process.stderr.write(`ticklake devices: ${o.devices} sensors publishing every ${o.interval} s to ${o.mqttUrl}\n`);
      devices.start();
      const status = setInterval(() => {
        if (!o.quiet)
          process.stderr.write(
            `[${Math.round((Date.now() - started) / 1000)
              .toString()
              .padStart(5)}s] published ${devices.status().published}\n`,
          );
      }, STATUS_EVERY_MS);
      // A referenced timer: while the broker is away nothing else keeps the process alive until --for is over.
      await new Promise<void>((resolve) => {
        const timer = o.for !== undefined ? setTimeout(resolve, o.for) : undefined;
        stop.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
      clearInterval(status);
      await devices.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdout.write(`ticklake devices: ${devices.status().published} messages acknowledged by the broker\n`);
    });
}
