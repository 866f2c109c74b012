package acmeproto

import "context"

// Action names the logical ACME operation an HTTP request to the CA belongs
// to, spelled as cert-manager v1.21's ACME client middleware spells it
// (pkg/acme/client/middleware/logger.go) in the action label of
// certmanager_http_acme_client_request_count. Requests x/crypto/acme makes
// on its own inside a call (the directory, a fresh nonce, the polls of
// CreateCertFromOrder) carry the action of that call, as in cert-manager.
type Action string

// The actions certflow's reconcilers take.
const (
	ActionAuthorizeOrder     Action = "authorize_order"
	ActionGetOrder           Action = "get_order"
	ActionGetAuthorization   Action = "get_authorization"
	ActionAcceptChallenge    Action = "accept_challenge"
	ActionCreateOrderCert    Action = "create_order_cert"
	ActionFetchCert          Action = "fetch_cert"
	ActionListCertAlternates Action = "list_cert_alternates"
	ActionRegisterAccount    Action = "register_account"
	ActionGetRegistration    Action = "get_registration"
	ActionUpdateRegistration Action = "update_registration"
	// ActionGetRenewalInfo fetches a certificate's ACME Renewal Information
	// (RFC 9773), as cert-manager's GetRenewalInfo.
	ActionGetRenewalInfo Action = "get_renewal_info"
	// Revocation and account hygiene (cert-manager has none of these; the
	// names follow its scheme: x/crypto/acme's method in snake case).
	ActionRevokeCert          Action = "revoke_cert"
	ActionAccountKeyRollover  Action = "account_key_rollover"
	ActionDeactivateReg       Action = "deactivate_reg"
	ActionRevokeAuthorization Action = "revoke_authorization"
	// ActionUnnamed is the action of a request whose context names none;
	// seeing it in the metrics means a call site forgot WithAction.
	ActionUnnamed Action = "unnamed_action"
)

type actionKey struct{}

// WithAction returns ctx naming a for every ACME request made with it.
func WithAction(ctx context.Context, a Action) context.Context {
	return context.WithValue(ctx, actionKey{}, a)
}

// ActionOf returns the action ctx names, or ActionUnnamed.
func ActionOf(ctx context.Context) Action {
	if a, ok := ctx.Value(actionKey{}).(Action); ok {
		return a
	}
	return ActionUnnamed
}
