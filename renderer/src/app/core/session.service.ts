import { Injectable, computed, inject, signal } from '@angular/core';
import type { Me, ProviderName, Role } from '@msi/contracts/api';
import { CAN_NOTHING, type Can } from '@msi/contracts/roles';
import { ApiService } from './api.service';
import { AuthService } from './auth.service';
import { messageOf } from './config';

const ROLE_ORDER: Role[] = ['admin', 'supervisor', 'agent', 'customer'];

/** Who is signed in (GET /api/me) and which model provider answers. */
@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly api = inject(ApiService);
  private readonly auth = inject(AuthService);

  readonly me = signal<Me | null>(null);
  readonly error = signal<string | null>(null);
  /** The provider of the latest answer, which wins over /api/me's (settings may have changed). */
  readonly lastProvider = signal<ProviderName | null>(null);

  readonly displayName = computed(() => {
    const me = this.me();
    const claims = this.auth.claims() ?? {};
    return (
      me?.name ||
      me?.username ||
      String(claims['name'] ?? claims['preferred_username'] ?? 'Signed in')
    );
  });
  readonly role = computed<Role | null>(() => {
    const claimRoles = this.auth.claims()?.['roles'];
    const roles = this.me()?.roles ?? (Array.isArray(claimRoles) ? (claimRoles as Role[]) : []);
    return ROLE_ORDER.find((role) => roles.includes(role)) ?? null;
  });
  /** What this person may do, as the API answers it (`me.can`); nothing until it has answered. */
  readonly can = computed<Can>(() => this.me()?.can ?? CAN_NOTHING);
  readonly offline = computed(() => (this.lastProvider() ?? this.me()?.provider) === 'offline');

  async load(): Promise<void> {
    try {
      this.me.set(await this.api.me());
      this.error.set(null);
    } catch (error) {
      this.error.set(messageOf(error));
    }
  }

  clear(): void {
    this.me.set(null);
    this.lastProvider.set(null);
  }
}
