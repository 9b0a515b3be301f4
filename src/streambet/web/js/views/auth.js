// Log in and sign up.

import { api, ApiError, describeError } from '../api.js';
import { field, h } from '../dom.js';
import { session } from '../session.js';

export const WELCOME_KEY = 'streambet.welcome';

export function renderAuth(main, mode) {
  const isSignup = mode === 'signup';
  const error = h('div', { class: 'alert', role: 'alert', id: 'auth-error', hidden: true });
  const email = h('input', {
    type: 'email',
    name: 'email',
    id: 'email',
    autocomplete: 'email',
    required: true,
  });
  const password = h('input', {
    type: 'password',
    name: 'password',
    id: 'password',
    required: true,
    minlength: isSignup ? 8 : null,
    autocomplete: isSignup ? 'new-password' : 'current-password',
  });
  const displayName = h('input', {
    type: 'text',
    name: 'display_name',
    id: 'display-name',
    autocomplete: 'nickname',
    maxlength: 64,
  });
  const birth = h('input', {
    type: 'date',
    name: 'birth_date',
    id: 'birth-date',
    autocomplete: 'bday',
    required: true,
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', id: 'auth-submit' },
    isSignup ? 'Create account' : 'Log in',
  );

  const form = h(
    'form',
    { class: 'card stack', novalidate: true, 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, isSignup ? 'Create your account' : 'Log in to StreamBet'),
    h(
      'p',
      { class: 'muted' },
      isSignup
        ? 'New accounts get play-money credit to bet with.'
        : 'Bet on what happens in a video, settled by AI evidence.',
    ),
    h('p', {}, h('a', { href: '#/markets' }, 'Browse the markets first')),
    error,
    field('E-mail', email),
    isSignup ? field('Display name (optional)', displayName) : null,
    isSignup ? field('Date of birth', birth, 'You must be 18 or older.') : null,
    field('Password', password, isSignup ? 'At least 8 characters.' : null),
    h(
      'div',
      { class: 'row spread' },
      submit,
      isSignup
        ? h('a', { href: '#/login' }, 'I already have an account')
        : h('a', { href: '#/signup' }, 'Create an account'),
    ),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!email.value.trim() || !password.value) {
      showError('Enter your e-mail and password.');
      (email.value.trim() ? password : email).focus();
      return;
    }
    if (isSignup && !birth.value) {
      showError('Enter your date of birth.');
      birth.focus();
      return;
    }
    submit.disabled = true;
    try {
      const credentials = { email: email.value.trim(), password: password.value };
      if (isSignup) {
        // Sign-up answers alike whether or not the e-mail has an account (no token, so
        // nobody learns which); a new account then logs in like any other.
        await api('/api/auth/signup', {
          method: 'POST',
          body: {
            ...credentials,
            display_name: displayName.value.trim(),
            birth_date: birth.value,
          },
        });
      }
      let result;
      try {
        result = await api('/api/auth/login', { method: 'POST', body: credentials });
      } catch (err) {
        if (isSignup && err.status === 401) {
          throw new ApiError(
            401,
            'login_failed',
            'Could not log you in. If this e-mail already has an account, log in with its' +
              ' password; we have sent a message to the address.',
            null,
          );
        }
        throw err;
      }
      await session.begin(result.token, result.user);
      // The markets page confirms the starting credit once, right after sign-up.
      if (isSignup) sessionStorage.setItem(WELCOME_KEY, '1');
      location.hash = '#/markets';
    } catch (err) {
      showError(describeError(err));
    } finally {
      submit.disabled = false;
    }
  });

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  main.append(h('section', { class: 'auth' }, form));
  email.focus();
}
