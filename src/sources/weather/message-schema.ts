/** The weather record: one location and hour of an Open-Meteo forecast response in its envelope (see observation.ts). */
import { envelopeRecord, field, optional } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

export const WEATHER_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('WeatherHour', 'weather', "One location's hourly values, verbatim from Open-Meteo, with their units", [
    field('latitude', 'double', 'Latitude, degrees'),
    field('longitude', 'double', 'Longitude, degrees'),
    optional('elevation', 'double', 'Elevation, m'),
    field('fetched_at', 'string', 'When the response was received, ISO-8601'),
    field('utc_offset_seconds', 'int', 'Offset of the hour times from UTC'),
    field('units', { type: 'map', values: 'string' }, "Open-Meteo's hourly_units"),
    field(
      'hour',
      {
        type: 'record',
        name: 'OpenMeteoHour',
        fields: [
          field('time', 'string', 'Hour, Open-Meteo local time (yyyy-MM-ddTHH:mm)'),
          field('temperature_2m', 'double', 'Temperature at 2 m'),
          field('relative_humidity_2m', 'double', 'Relative humidity at 2 m'),
          field('wind_speed_10m', 'double', 'Wind speed at 10 m'),
          field('precipitation', 'double', 'Precipitation'),
          field('weather_code', 'int', 'WMO weather code'),
        ],
      },
      "The hour's values",
    ),
  ]),
};
