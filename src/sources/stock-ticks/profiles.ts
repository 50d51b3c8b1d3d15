/** The shipped company_profile dimension (`data/company_profile.json`), bundled with the function that validates ticks against it. */
import profiles from '../../../data/company_profile.json' with { type: 'json' };
import type { CompanyProfile } from './stock-tick.js';

/** The file the dimension is read from locally and seeded from in the cloud (project-relative). */
export const COMPANY_PROFILE_FILE = 'data/company_profile.json';

export const COMPANY_PROFILES: readonly CompanyProfile[] = profiles as CompanyProfile[];
