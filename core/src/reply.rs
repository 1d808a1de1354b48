//! MQTT 5 request/response: the reply a call gives to a message that named
//! a response topic, built the same way on every target (the gateway's
//! `jinn serve`, jinn-embassy).
//!
//! * The topic is the request's `X-Mqtt-Response-Topic` (a valid topic
//!   name: no wildcards), the correlation data its `X-Mqtt-Correlation-Data`
//!   (decoded from base64), the QoS 0 when the request came at QoS 0 and 1
//!   otherwise.
//! * A response: its body as the payload, its `Content-Type` as the MQTT 5
//!   content type, `status` as the first user property, then its other
//!   headers (those an HTTP server would send) as user properties, at most
//!   [`MAX_USER_PROPERTIES`] in all.
//! * An error: `{"error":"<kind>","trace_id":"<id>"}` (`application/json`)
//!   with the error's HTTP status as `status`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use jinn_contract::body::base64_decode;
use jinn_contract::headers;
use jinn_contract::json::ErrorDoc;

use crate::{InvokeError, Qos, Request, Response};

/// User properties a reply carries at most (`status` included).
pub const MAX_USER_PROPERTIES: usize = 64;

/// The MQTT 5 reply to a request message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttReply {
    /// The request's response topic.
    pub topic: String,
    /// QoS 0 for a QoS 0 request, else 1.
    pub qos: Qos,
    /// The response body, or the error document.
    pub payload: Vec<u8>,
    /// MQTT 5 content type.
    pub content_type: Option<String>,
    /// The request's correlation data.
    pub correlation_data: Option<Vec<u8>>,
    /// `status`, then the response's headers.
    pub user_properties: Vec<(String, String)>,
}

impl MqttReply {
    /// The reply to `request` (an MQTT envelope) of a call that ended with
    /// `result`; `None` when the request names no valid response topic.
    pub fn to(request: &Request, result: Result<Response, InvokeError>) -> Option<Self> {
        let topic = headers::first(&request.headers, "X-Mqtt-Response-Topic")
            .filter(|t| crate::permissions::valid_topic(t))?;
        let qos = match headers::first(&request.headers, "X-Mqtt-Qos") {
            Some("0") => Qos::AtMostOnce,
            _ => Qos::AtLeastOnce,
        };
        let correlation_data = headers::first(&request.headers, "X-Mqtt-Correlation-Data")
            .and_then(|d| base64_decode(d).ok());
        let (payload, content_type, user_properties) = match result {
            Ok(response) => {
                let content_type =
                    headers::first(&response.headers, "content-type").map(String::from);
                let mut properties = Vec::new();
                properties.push(("status".to_string(), status_text(response.status)));
                properties.extend(
                    headers::forwarded(&response.headers)
                        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
                        .take(MAX_USER_PROPERTIES - 1)
                        .map(|(n, v)| (n.to_string(), v.to_string())),
                );
                (response.body, content_type, properties)
            }
            Err(e) => {
                let body = ErrorDoc {
                    error: e.kind().as_str(),
                    trace_id: request.trace_id.as_deref().unwrap_or(""),
                }
                .to_vec();
                let status = ("status".to_string(), status_text(e.http_status()));
                (body, Some("application/json".into()), alloc::vec![status])
            }
        };
        Some(Self {
            topic: topic.into(),
            qos,
            payload,
            content_type,
            correlation_data,
            user_properties,
        })
    }
}

/// `200` → `"200"`, without `core::fmt`.
fn status_text(status: u16) -> String {
    let mut out = String::new();
    crate::decimal::push_decimal(&mut out, status.into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::envelope::MqttMessage;

    fn request(response_topic: Option<&str>, qos: Qos) -> Request {
        let mut message = MqttMessage::new("requests/x", b"x", qos, Some(7));
        message.response_topic = response_topic;
        message.correlation_data = Some(&[1, 2, 0xff]);
        let mut r = message.envelope(|b| b.fill(1));
        r.trace_id = Some("t-1".into());
        r
    }

    #[test]
    fn a_response_becomes_the_reply() {
        let mut response = Response::new(201);
        response
            .headers
            .insert("Content-Type".into(), alloc::vec!["text/plain".into()]);
        response
            .headers
            .insert("X-Answer".into(), alloc::vec!["42".into(), "43".into()]);
        response
            .headers
            .insert("Connection".into(), alloc::vec!["close".into()]);
        response.body = b"done".to_vec();
        let reply = MqttReply::to(&request(Some("replies/x"), Qos::AtLeastOnce), Ok(response))
            .expect("a reply");
        assert_eq!(reply.topic, "replies/x");
        assert_eq!(reply.qos, Qos::AtLeastOnce);
        assert_eq!(reply.payload, b"done");
        assert_eq!(reply.content_type.as_deref(), Some("text/plain"));
        assert_eq!(reply.correlation_data.as_deref(), Some(&[1u8, 2, 0xff][..]));
        let props: Vec<(&str, &str)> = reply
            .user_properties
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            props,
            [("status", "201"), ("X-Answer", "42"), ("X-Answer", "43")]
        );
    }

    #[test]
    fn an_error_answers_its_kind_and_status() {
        let reply = MqttReply::to(
            &request(Some("replies/x"), Qos::AtMostOnce),
            Err(InvokeError::Interrupted),
        )
        .expect("a reply");
        assert_eq!(reply.qos, Qos::AtMostOnce);
        assert_eq!(reply.payload, br#"{"error":"timeout","trace_id":"t-1"}"#);
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            reply.user_properties,
            [("status".to_string(), "504".to_string())]
        );
    }

    #[test]
    fn no_valid_response_topic_no_reply() {
        let r = Response::new(200);
        assert_eq!(
            MqttReply::to(&request(None, Qos::AtLeastOnce), Ok(r.clone())),
            None
        );
        assert_eq!(
            MqttReply::to(&request(Some("replies/#"), Qos::AtLeastOnce), Ok(r)),
            None
        );
    }

    #[test]
    fn properties_are_capped() {
        let mut response = Response::new(200);
        for i in 0..100 {
            response
                .headers
                .insert(alloc::format!("X-H{i}"), alloc::vec!["v".into()]);
        }
        let reply =
            MqttReply::to(&request(Some("r"), Qos::AtLeastOnce), Ok(response)).expect("a reply");
        assert_eq!(reply.user_properties.len(), MAX_USER_PROPERTIES);
        assert_eq!(status_text(0), "0");
        assert_eq!(status_text(65535), "65535");
    }
}
