// Card deposits through Stripe.js. The card form is Stripe's own frame, so card numbers
// never reach StreamBet; the balance moves only when Stripe's verified webhook arrives,
// whatever the page says.

const STRIPE_JS = 'https://js.stripe.com/v3/';
let loading = null;

/** Stripe.js, loaded once and only when a Stripe deposit needs it (the CSP allows it
 * only on servers with Stripe deposits on). */
export function loadStripe(publishableKey, doc = document, win = window) {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      if (win.Stripe) {
        resolve(win.Stripe);
        return;
      }
      const script = doc.createElement('script');
      script.src = STRIPE_JS;
      script.addEventListener('load', () =>
        win.Stripe ? resolve(win.Stripe) : reject(new Error('Stripe.js did not start.')),
      );
      script.addEventListener('error', () => {
        loading = null; // a later deposit may try again
        reject(new Error('The card form could not be loaded from Stripe. Try again later.'));
      });
      doc.head.append(script);
    });
  }
  return loading.then((Stripe) => Stripe(publishableKey));
}

/** What the payer reads after confirming: Stripe's own message for a refused card. */
export function confirmationText(result) {
  if (result?.error) return result.error.message || 'The card was refused.';
  switch (result?.paymentIntent?.status) {
    case 'succeeded':
      return 'Paid. Your balance is credited as soon as Stripe confirms it, in seconds.';
    case 'processing':
      return 'Stripe is processing the payment; the deposit below updates when it is done.';
    case 'requires_payment_method':
      return 'The payment did not go through; try another card.';
    default:
      return 'Follow Stripe’s steps to finish the payment.';
  }
}

/** Mounts Stripe's payment form for one PaymentIntent into `container` and returns
 * `pay()`, which confirms it (redirecting only for methods that need it) and resolves to
 * `{ ok, text }` for the page. */
export function cardForm(stripe, clientSecret, container, returnUrl) {
  const elements = stripe.elements({ clientSecret });
  elements.create('payment').mount(container);
  return async function pay() {
    const result = await stripe.confirmPayment({
      elements,
      redirect: 'if_required',
      confirmParams: { return_url: returnUrl },
    });
    return { ok: !result?.error, text: confirmationText(result) };
  };
}
