package rpc

// The message types are unexported; the golden tests of package rpc_test
// build messages with them under these names.
type (
	RpcMsg            = rpcMsg
	RpcMsgBody        = rpcMsgBody
	CallBody          = callBody
	ReplyBody         = replyBody
	AcceptedReply     = acceptedReply
	AcceptedReplyData = acceptedReplyData
	RejectedReply     = rejectedReply
	MismatchInfo      = mismatchInfo
)
