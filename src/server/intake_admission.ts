/**
 * Who gets capacity at intake. A request with no verified signed header yet holds no upload
 * slot: it is counted apart, in all and per client address, and bounded in time (the header
 * deadline). Only a package whose header is signed by an enrolled device takes one of the upload
 * slots, and one device at most `perDevice` of them — so neither a crowd of slow anonymous
 * clients nor one stolen key can take the capacity that the other devices of the night need.
 *
 * Pure counting (no sockets, no timers): the route holds a permit and releases it once.
 */

export interface AdmissionLimits {
  /** Upload slots: requests whose signed header is verified and whose image is being read. */
  readonly inFlight: number;
  readonly perDevice: number;
  /** Requests still waiting for a verified signed header. */
  readonly unauthenticated: number;
  readonly unauthenticatedPerAddress: number;
}

/** Why a request was not admitted; each is a 503 with Retry-After (busy, come back here). */
export type AdmissionRefusal = 'overloaded' | 'device-busy' | 'address-busy';

/** A place held by one request; releasing it twice is harmless. */
export interface Permit {
  release(): void;
}

export class IntakeAdmission {
  readonly #limits: AdmissionLimits;
  #inFlight = 0;
  #unauthenticated = 0;
  readonly #byDevice = new Map<string, number>();
  readonly #byAddress = new Map<string, number>();

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /** What is held now (for readiness, logs and tests). */
  get counts(): { readonly inFlight: number; readonly unauthenticated: number } {
    return { inFlight: this.#inFlight, unauthenticated: this.#unauthenticated };
  }

  /** A place for a request that has not shown a verified signed header yet. */
  unauthenticated(address: string): Permit | AdmissionRefusal {
    if (this.#unauthenticated >= this.#limits.unauthenticated) return 'overloaded';
    const held = this.#byAddress.get(address) ?? 0;
    if (held >= this.#limits.unauthenticatedPerAddress) return 'address-busy';
    this.#unauthenticated++;
    this.#byAddress.set(address, held + 1);
    return this.#permit(() => {
      this.#unauthenticated--;
      decrement(this.#byAddress, address);
    });
  }

  /** An upload slot for an enrolled device whose signed header was just verified. */
  upload(deviceId: string): Permit | AdmissionRefusal {
    if (this.#inFlight >= this.#limits.inFlight) return 'overloaded';
    const held = this.#byDevice.get(deviceId) ?? 0;
    if (held >= this.#limits.perDevice) return 'device-busy';
    this.#inFlight++;
    this.#byDevice.set(deviceId, held + 1);
    return this.#permit(() => {
      this.#inFlight--;
      decrement(this.#byDevice, deviceId);
    });
  }

  #permit(free: () => void): Permit {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        free();
      },
    };
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const left = (map.get(key) ?? 1) - 1;
  // Entries go when they reach zero, so a million one-off addresses leave no trace.
  if (left <= 0) map.delete(key);
  else map.set(key, left);
}
