import { Routes, UrlMatchResult, UrlSegment } from '@angular/router';
import { resumeSessionGuard, signedInGuard } from './core/auth.guard';
import { Shell } from './core/layout/shell';
import { ChatPage } from './features/chat/chat.page';

/** "" (a new conversation) and "c/:id" share one route so the chat view stays when a new conversation gets its id. */
export function chatMatcher(segments: UrlSegment[]): UrlMatchResult | null {
  if (segments.length === 0) return { consumed: [] };
  if (segments.length === 2 && segments[0].path === 'c')
    return { consumed: segments, posParams: { id: segments[1] } };
  return null;
}

export const routes: Routes = [
  {
    path: 'sign-in',
    title: 'Sign in · MSI Assistant',
    loadComponent: () => import('./features/sign-in/sign-in.page'),
  },
  {
    path: 'auth/signed-out',
    title: 'Signed out · MSI Assistant',
    data: { signedOut: true },
    loadComponent: () => import('./features/sign-in/sign-in.page'),
  },
  {
    path: 'auth/callback',
    title: 'Signing in · MSI Assistant',
    loadComponent: () => import('./features/sign-in/callback.page'),
  },
  {
    path: '',
    component: Shell,
    children: [
      {
        path: 'knowledge',
        title: 'Knowledge · MSI Assistant',
        canActivate: [signedInGuard],
        loadComponent: () => import('./features/knowledge/knowledge.page'),
      },
      {
        path: 'settings',
        title: 'Settings · MSI Assistant',
        canActivate: [resumeSessionGuard],
        loadComponent: () => import('./features/settings/settings.page'),
      },
      {
        path: 'status',
        title: 'Status · MSI Assistant',
        canActivate: [resumeSessionGuard],
        loadComponent: () => import('./features/status/status.page'),
      },
      {
        matcher: chatMatcher,
        title: 'MSI Assistant',
        canActivate: [signedInGuard],
        component: ChatPage,
      },
    ],
  },
  { path: '**', redirectTo: '' },
];
