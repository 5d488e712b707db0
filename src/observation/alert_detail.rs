//! An alert's detail in the reader's language. Details are written in Chinese when the alert is
//! raised, in a few fixed forms (`checkins::alerts_for` and the sweep's statements); the English
//! reading is made from those forms, and a detail in any other form is shown as written.

use super::AlertKind;
use super::needs::NeedKind;
use crate::web::i18n::Lang;
use fangkong_rules::observation::Symptom;

pub fn in_language(kind: &str, detail: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => detail.to_string(),
        Lang::En => english(kind, detail).unwrap_or_else(|| detail.to_string()),
    }
}

fn english(kind: &str, detail: &str) -> Option<String> {
    Some(match AlertKind::parse(kind)? {
        AlertKind::Fever => format!("temperature {}", detail.strip_prefix("体温 ")?),
        AlertKind::RedFlag => detail.split('、').map(|s| Symptom::parse(s).map(Symptom::en)).collect::<Option<Vec<_>>>()?.join(", "),
        AlertKind::MissedMorning | AlertKind::MissedEvening => format!("no temperature reported by {}:00", detail.strip_prefix("截至 ")?.strip_suffix(" 时未报体温")?),
        AlertKind::VisitOverdue => format!("nobody home at the last visit ({}), not revisited in time", detail.strip_prefix("上次走访(")?.strip_suffix(")无人在家,未按期复访")?),
        AlertKind::NeedOverdue => format!("{} not done in time", detail.strip_suffix("超时未办").and_then(NeedKind::parse).map_or("request", NeedKind::en)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_of_detail_reads_in_english() {
        let en = |kind: &str, detail: &str| in_language(kind, detail, Lang::En);
        assert_eq!(en("fever", "体温 38.1 ℃"), "temperature 38.1 ℃");
        assert_eq!(en("red_flag", "咳嗽、气促"), "Cough, Shortness of breath");
        assert_eq!(en("missed_am", "截至 10 时未报体温"), "no temperature reported by 10:00");
        assert_eq!(en("visit_overdue", "上次走访(2026-11-30)无人在家,未按期复访"), "nobody home at the last visit (2026-11-30), not revisited in time");
        assert_eq!(en("need_overdue", "药品超时未办"), "Medicine not done in time");
        assert_eq!(en("need_overdue", "需求超时未办"), "request not done in time");
        assert_eq!(en("fever", "手写的说明"), "手写的说明", "anything else as written");
        assert_eq!(in_language("fever", "体温 38.1 ℃", Lang::Zh), "体温 38.1 ℃");
    }
}
