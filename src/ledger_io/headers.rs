//! Recognising the column headers people actually use.

/// A ledger field a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Sex,
    IdType,
    IdNumber,
    Phone,
    BirthDate,
    Ethnicity,
    Address,
    Hukou,
    WorkUnit,
    Origin,
    DepartureDate,
    ArrivalDate,
    Transport,
    TransportNo,
    Category,
    Companions,
    CaseContact,
    Symptoms,
    Measures,
    ObservationStart,
    GridWorker,
    Grid,
    Note,
}

/// Each field with the headers that mean it, the canonical one first (used by the template and export).
pub const HEADERS: &[(Field, &[&str])] = &[
    (Field::Name, &["姓名", "名字"]),
    (Field::Sex, &["性别"]),
    (Field::IdType, &["证件类型"]),
    (Field::IdNumber, &["身份证号", "身份证号码", "证件号码", "证件号", "身份证"]),
    (Field::Phone, &["联系电话", "手机号", "手机号码", "电话", "联系方式"]),
    (Field::BirthDate, &["出生日期", "出生年月"]),
    (Field::Ethnicity, &["民族"]),
    (Field::Address, &["现住址", "居住地址", "现居住地址", "住址", "家庭住址"]),
    (Field::Hukou, &["户籍地", "户籍所在地", "户籍地址"]),
    (Field::WorkUnit, &["工作单位"]),
    (Field::Origin, &["来源地", "从何地返回", "返回地", "来衡前居住地", "出发地"]),
    (Field::DepartureDate, &["离开日期", "离汉日期", "出发日期"]),
    (Field::ArrivalDate, &["返回日期", "抵达日期", "到达日期", "返衡日期", "抵衡日期"]),
    (Field::Transport, &["交通方式", "交通工具"]),
    (Field::TransportNo, &["车次/航班号/车牌号", "车次", "航班号", "车牌号", "车次航班号", "车次/航班号"]),
    (Field::Category, &["人员类别", "类别", "人员类型"]),
    (Field::Companions, &["同行人员", "同行人"]),
    (Field::CaseContact, &["接触史", "与病例接触情况", "病例接触史"]),
    (Field::Symptoms, &["症状", "健康状况", "目前症状"]),
    (Field::Measures, &["管控措施", "已采取措施", "措施"]),
    (Field::ObservationStart, &["隔离开始日期", "观察开始日期", "隔离起始日期"]),
    (Field::GridWorker, &["责任网格员", "网格员", "包保网格员"]),
    (Field::Grid, &["所属网格", "网格", "网格名称"]),
    (Field::Note, &["备注", "说明"]),
];

/// Folds what spreadsheets add around a header: spaces, asterisks, full-width characters, units in
/// brackets (`身份证号(必填)`).
pub fn normalise(header: &str) -> String {
    let s = fangkong_rules::normalize_width(header).replace(['*', ':', ':'], "");
    s.split(['(', '(']).next().unwrap_or("").trim().to_string()
}

pub fn recognise(header: &str) -> Option<Field> {
    let h = normalise(header);
    HEADERS.iter().find(|(_, names)| names.iter().any(|n| normalise(n) == h)).map(|(f, _)| *f)
}

/// The field a canonical header names, as the reports keep it.
fn of_canonical(header: &str) -> Option<Field> {
    HEADERS.iter().find(|(_, names)| names[0] == header).map(|(f, _)| *f)
}

/// A field's name in English, for the English report.
pub fn english(field: Field) -> &'static str {
    use Field::*;
    match field {
        Name => "Name",
        Sex => "Sex",
        IdType => "Document type",
        IdNumber => "Document number",
        Phone => "Phone",
        BirthDate => "Date of birth",
        Ethnicity => "Ethnicity",
        Address => "Current address",
        Hukou => "Household registration",
        WorkUnit => "Work unit",
        Origin => "Came from",
        DepartureDate => "Left on",
        ArrivalDate => "Arrived on",
        Transport => "Transport",
        TransportNo => "Train/flight/plate",
        Category => "Category",
        Companions => "Travelling with",
        CaseContact => "Contact with cases",
        Symptoms => "Symptoms",
        Measures => "Measures",
        ObservationStart => "Observation start",
        GridWorker => "Grid worker",
        Grid => "Grid",
        Note => "Note",
    }
}

/// A canonical header as `lang` shows it (a header it does not know as written).
pub fn canonical_in(header: &str, lang: crate::web::i18n::Lang) -> &str {
    match (lang, of_canonical(header)) {
        (crate::web::i18n::Lang::En, Some(f)) => english(f),
        _ => header,
    }
}

pub fn canonical(field: Field) -> &'static str {
    HEADERS.iter().find(|(f, _)| *f == field).map(|(_, names)| names[0]).unwrap_or("")
}

/// Which column holds which field; the first column for a field wins, later ones are ignored.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub columns: Vec<(usize, Field)>,
    /// Headers as written, with the field they were read as.
    pub recognised: Vec<(String, &'static str)>,
    pub ignored: Vec<String>,
}

impl ColumnMap {
    pub fn new(header_row: &[String]) -> ColumnMap {
        let mut map = ColumnMap { columns: Vec::new(), recognised: Vec::new(), ignored: Vec::new() };
        for (i, h) in header_row.iter().enumerate() {
            if h.trim().is_empty() {
                continue;
            }
            match recognise(h) {
                Some(f) if !map.columns.iter().any(|(_, g)| *g == f) => {
                    map.columns.push((i, f));
                    map.recognised.push((h.trim().to_string(), canonical(f)));
                }
                _ => map.ignored.push(h.trim().to_string()),
            }
        }
        map
    }

    pub fn has(&self, field: Field) -> bool {
        self.columns.iter().any(|(_, f)| *f == field)
    }

    /// The trimmed value of `field` in `row`, if the column exists and the cell is not blank.
    pub fn get(&self, row: &[String], field: Field) -> Option<String> {
        let (i, _) = self.columns.iter().find(|(_, f)| *f == field)?;
        row.get(*i).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_headers_are_recognised_in_any_order_and_form() {
        let row: Vec<String> = ["序号", "身份证号码(必填)", " 姓名 ", "手机号", "从何地返回", "抵达日期", "车次", "乱七八糟"].map(String::from).to_vec();
        let map = ColumnMap::new(&row);
        assert_eq!(map.columns, [(1, Field::IdNumber), (2, Field::Name), (3, Field::Phone), (4, Field::Origin), (5, Field::ArrivalDate), (6, Field::TransportNo)]);
        assert_eq!(map.ignored, ["序号", "乱七八糟"]);
        assert_eq!(recognise("证件号码"), Some(Field::IdNumber));
        assert_eq!(recognise("居住地址"), Some(Field::Address));
    }
}
