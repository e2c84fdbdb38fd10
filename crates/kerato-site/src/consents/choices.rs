//! Use cases: recording a visitor's cookie choices, GPC signal and do-not-sell opt-out.

use kerato_core::consent::{self, Purpose, Source};

use crate::Site;
use crate::audit::{self, Event};
use crate::consents::rules::*;
use crate::consents::store::*;
use crate::web::SiteError;
use crate::web::visitor::*;

/// The visitor's ID, from their cookie or from a new one (returned, for the
/// response to set) when they have none yet.
pub(crate) fn visitor_or_new(
    cookie: Option<&ConsentCookie>,
    policy_version: u32,
) -> (String, Option<ConsentCookie>) {
    match cookie {
        Some(c) => (c.visitor.clone(), None),
        None => {
            let c = ConsentCookie::new(policy_version);
            (c.visitor.clone(), Some(c))
        }
    }
}

/// Records a GPC signal as an opt-out of sale and sharing, unless the
/// visitor's current answer already is that. A visitor without a cookie
/// gets one (analytics off, banner not answered), with analytics recorded
/// as off too: the signal is their only answer so far. Returns the new
/// cookie, if one was made.
pub(crate) async fn record_gpc(
    site: &Site,
    cookie: Option<&ConsentCookie>,
) -> Result<Option<ConsentCookie>, SiteError> {
    let now = site.now();
    if let Some(c) = cookie {
        let mut tx = site.store.read().await?;
        let history =
            crate::consents::store::history(&mut tx, Subject::visitor(&c.visitor)).await?;
        let current = consent::current(&history, Purpose::SaleShare);
        if current.is_some_and(|e| !e.granted && e.source == Source::Gpc) {
            return Ok(None);
        }
    }
    let mut tx = site.store.write().await?;
    let version = cookie_policy_version(&mut tx, now).await?;
    let (visitor, new) = visitor_or_new(cookie, version);
    let who = Subject::visitor(&visitor);
    let v = version.to_string();
    crate::consents::store::record(
        &mut tx,
        who,
        Purpose::SaleShare,
        false,
        Source::Gpc,
        Some(&v),
        now,
    )
    .await?;
    if new.is_some() {
        crate::consents::store::record(
            &mut tx,
            who,
            Purpose::AnalyticsCookies,
            false,
            Source::Gpc,
            Some(&v),
            now,
        )
        .await?;
    }
    let subject = format!("visitor:{visitor}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "consent.gpc_opt_out",
            subject: Some(&subject),
            detail: Some("sale_share=no"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}

/// The opt-outs of sale and sharing in force for this visitor: the one
/// recorded under their cookie's visitor ID, and the one recorded under
/// the signed-in person's address.
pub(crate) async fn recorded_opt_outs(
    site: &Site,
    visitor: &Visitor,
    email: Option<&str>,
) -> Result<Vec<RecordedOptOut>, SiteError> {
    let mut subjects = Vec::new();
    if let Some(c) = &visitor.cookie {
        subjects.push(("this browser".to_string(), Subject::visitor(&c.visitor)));
    }
    if let Some(email) = email {
        subjects.push((email.to_string(), Subject::contact(email)));
    }
    let mut out = Vec::new();
    let mut tx = site.store.read().await?;
    for (name, subject) in subjects {
        let history = crate::consents::store::history(&mut tx, subject).await?;
        if let Some(e) = consent::current(&history, Purpose::SaleShare).filter(|e| !e.granted) {
            out.push(RecordedOptOut {
                who: name,
                since: e.at.to_jiff().strftime("%B %-d, %Y").to_string(),
                how: how(e.source),
            });
        }
    }
    Ok(out)
}

/// Records the banner's or the settings page's answers for the visitor
/// (a new visitor gets a new cookie) with their audit event; returns the
/// cookie to set.
pub(crate) async fn record_cookie_choice(
    site: &Site,
    cookie: Option<ConsentCookie>,
    analytics: bool,
    preferences: bool,
) -> Result<ConsentCookie, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let version = cookie_policy_version(&mut tx, now).await?;
    let mut cookie = cookie.unwrap_or_else(|| ConsentCookie::new(version));
    cookie.policy_version = version;
    cookie.analytics = analytics;
    cookie.preferences = preferences;
    cookie.chosen = true;
    let who = Subject::visitor(&cookie.visitor);
    let v = version.to_string();
    for (purpose, granted) in [
        (Purpose::AnalyticsCookies, analytics),
        (Purpose::PreferenceCookies, preferences),
    ] {
        crate::consents::store::record(&mut tx, who, purpose, granted, Source::Form, Some(&v), now)
            .await?;
    }
    let subject = format!("visitor:{}", cookie.visitor);
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let detail = format!(
        "analytics={} preferences={}",
        yes_no(analytics),
        yes_no(preferences)
    );
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "consent.cookies",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(cookie)
}

/// Records an opt-out of sale and sharing for the visitor's cookie and,
/// when given, an e-mail address, with its audit event; returns the new
/// cookie to set when the visitor had none.
pub(crate) async fn record_opt_out(
    site: &Site,
    cookie: Option<&ConsentCookie>,
    email: Option<&str>,
) -> Result<Option<ConsentCookie>, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let version = cookie_policy_version(&mut tx, now).await?;
    let (visitor_id, new) = visitor_or_new(cookie, version);
    let mut subjects = vec![Subject::visitor(&visitor_id)];
    subjects.extend(email.map(Subject::contact));
    for who in &subjects {
        crate::consents::store::record(
            &mut tx,
            *who,
            Purpose::SaleShare,
            false,
            Source::Form,
            None,
            now,
        )
        .await?;
    }
    let subject = format!("visitor:{visitor_id}");
    let detail = if email.is_some() {
        "sale_share=no, also for an e-mail address"
    } else {
        "sale_share=no"
    };
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "consent.do_not_sell",
            subject: Some(&subject),
            detail: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}
