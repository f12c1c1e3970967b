package xmark

// Vocabulary of the generated text: XMark's generator draws its prose from
// Shakespeare's plays, and so do these words (frequent words of the plays,
// a few hundred of them, enough for text that compresses and tokenizes like
// XMark's).
var vocabulary = []string{
	"the", "and", "to", "of", "you", "my", "a", "that", "in", "is", "not",
	"it", "me", "with", "be", "your", "his", "this", "but", "for", "have",
	"he", "as", "thee", "so", "him", "what", "will", "all", "by", "shall",
	"her", "do", "no", "thou", "if", "are", "our", "lord", "on", "good",
	"now", "more", "they", "sir", "from", "at", "love", "or", "well", "come",
	"let", "was", "then", "there", "would", "how", "here", "which", "their",
	"king", "them", "man", "should", "one", "than", "when", "can", "enter",
	"make", "say", "know", "upon", "like", "yet", "may", "must", "such",
	"did", "why", "go", "see", "hath", "us", "out", "an", "who", "am", "mine",
	"death", "whose", "heart", "some", "time", "night", "these", "hand",
	"think", "most", "life", "where", "speak", "heaven", "men", "before",
	"eyes", "give", "tell", "great", "much", "sweet", "father", "duke",
	"true", "both", "name", "day", "honour", "nothing", "fair", "world",
	"never", "blood", "son", "dead", "away", "god", "again", "nor", "once",
	"mind", "ever", "fear", "stand", "look", "till", "other", "soul",
	"nature", "myself", "whom", "fortune", "own", "noble", "lady", "master",
	"mistress", "gentle", "lie", "word", "poor", "power", "grace", "bear",
	"way", "light", "better", "matter", "house", "brother", "friend", "place",
	"thought", "daughter", "thing", "dear", "face", "lords", "hope", "queen",
	"hear", "prince", "young", "old", "best", "bring", "cousin", "first",
	"still", "war", "peace", "tongue", "doth", "art", "nay", "far", "hold",
	"madam", "end", "mother", "being", "child", "keep", "head", "hast",
	"pray", "none", "hence", "done", "fall", "answer", "fool", "last",
	"brave", "welcome", "reason", "body", "wife", "cause", "each", "ill",
	"hour", "against", "heavy", "live", "though", "makes", "sword", "sight",
	"rest", "call", "bid", "many", "things", "gone", "might", "wrong", "full",
	"majesty", "often", "sorrow", "sure", "royal", "letter", "fight", "break",
	"free", "truth", "virtue", "state", "crown", "field", "battle", "morning",
	"spirit", "ground", "kind", "quite", "gracious", "earth", "grief", "care",
	"eye", "beauty", "fire", "shame", "strange", "counsel", "wisdom",
	"fellow", "faith", "sleep", "dream", "happy", "bloody", "gentleman",
	"country", "wonder", "monster", "petition", "heave", "humbly", "removes",
	"rescue", "runs", "shady", "piteous", "worser", "oak", "assembly",
	"holes", "patience", "malice", "whoreson", "mirrors", "tenants", "smocks",
	"yielded", "officer", "embrace", "fears", "distinction", "attires",
	"page", "rous", "idle", "authority", "capt", "professes", "stabs",
	"duteous", "nine", "eighteen", "fortunes", "villain", "traitor", "honest",
	"conscience", "justice", "mercy", "merry", "tears", "smile", "hate",
	"revenge", "desire", "youth", "shadow", "tomorrow", "yesterday", "storm",
	"thunder", "sea", "ship", "island", "garden", "throne", "castle", "gate",
	"tower", "wall", "forest", "river", "mountain", "valley", "city",
	"street", "market", "church", "grave", "ghost", "witch", "fairy", "devil",
	"angel", "saint", "sin", "prayer", "oath", "promise", "bond", "debt",
	"gold", "silver", "jewel", "ring", "glove", "message", "news", "rumour",
	"report", "story", "tale", "song", "music", "dance", "feast", "wine",
	"bread", "meat", "salt", "table", "chair", "bed", "chamber", "window",
	"door", "key", "lock", "chain", "prison", "judge", "law", "court",
	"trial", "witness", "proof", "doubt", "error", "folly", "madness", "wit",
	"jest", "sport", "game", "play", "part", "scene", "act", "stage",
	"player", "audience", "tragedy", "comedy", "history", "sonnet", "verse",
	"rhyme",
}

var firstNames = []string{
	"Kasidit", "Mechthild", "Dominic", "Aloys", "Shigeichi", "Berthe", "Jaak", "Masali",
	"Tomoya", "Ewing", "Hagit", "Dipankar", "Aiko", "Kuniaki", "Sibylle", "Halina",
	"Gudjon", "Yechezkel", "Shinichi", "Mehrdad", "Anna", "Bruno", "Carla", "Diego",
	"Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kira", "Lukas", "Mira",
	"Nils", "Olga", "Pavel", "Quentin", "Rosa", "Sven", "Tara", "Ugo", "Vera",
	"Wim", "Xenia", "Yusuf", "Zora", "Mahesh", "Leila", "Orna", "Theo",
}

var lastNames = []string{
	"Treweek", "Renear", "Takano", "Frijda", "Siochi", "Morrey", "Baalen", "Ebeling",
	"Pelz", "Arunachalam", "Schwederski", "Ushiama", "Kaltofen", "Takeuchi", "Marchok",
	"Hanratty", "Bratten", "Zeleznik", "Mahmud", "Sethi", "O'Connor", "D'Amato",
	"Rossi", "Novak", "Larsen", "Silva", "Kowalski", "Moreau", "Berg", "Ivanova",
	"Okafor", "Nakamura", "Haddad", "Fischer", "Santos", "Tanaka", "Dubois", "Weber",
	"Jensen", "Costa", "Lindqvist", "Horvat", "Petrov", "Quispe", "Richter", "Young",
	"Smith & Sons", "Abadi", "Chowdhury", "Vogel",
}

var domains = []string{
	"yahoo.com", "acm.org", "cohera.com", "uni-trier.de", "ibm.com", "concentric.net",
	"ac.uk", "edu.au", "cmu.edu", "gmu.edu", "filelmaker.com", "labs.com", "ntua.gr",
	"inria.fr", "sunysb.edu", "usa.net",
}

var countries = []string{
	"United States", "Germany", "Japan", "France", "Brazil", "Kenya", "India", "Australia",
	"Canada", "Mexico", "Italy", "Spain", "Greece", "Egypt", "Nigeria", "China",
	"Argentina", "Chile", "Norway", "Poland",
}

var cities = []string{
	"Monterrey", "Lyon", "Hamburg", "Osaka", "Porto", "Nairobi", "Pune", "Perth",
	"Calgary", "Turin", "Seville", "Patras", "Cairo", "Lagos", "Xian", "Rosario",
	"Valparaiso", "Bergen", "Krakow", "Boston",
}

var provinces = []string{
	"Vermont", "Texas", "Ohio", "Oregon", "Nevada", "Maine", "Utah", "Idaho",
}

var streets = []string{"Mcintosh", "Pitts", "Hebert", "Gelder", "Kaewe", "Daume", "Gursel", "Lemaire"}

var educations = []string{"High School", "College", "Graduate School", "Other"}

var payments = []string{"Money order", "Creditcard", "Personal Check", "Cash"}

var shipping = []string{
	"Will ship only within country", "Will ship internationally",
	"Buyer pays fixed shipping charges", "See description for charges",
}
