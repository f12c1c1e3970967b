package xmark

// Typed records for the kernels built on xml.Unmarshal. The full model
// (unmarshal) maps every element of XMark's DTD, as a program that loads
// the data into structs would; the slim model (decode) maps only what the
// queries read. Every field that a query reads is a slice or a pointer, so
// that repeated or missing elements and attributes are seen as they are.

// Person is /site/people/person, full model.
type Person struct {
	ID         string    `xml:"id,attr"`
	Name       []string  `xml:"name"`
	Email      string    `xml:"emailaddress"`
	Phone      string    `xml:"phone"`
	Address    *Address  `xml:"address"`
	Homepage   []string  `xml:"homepage"`
	Creditcard string    `xml:"creditcard"`
	Profile    []Profile `xml:"profile"`
	Watches    []Ref     `xml:"watches>watch"`
}

// Address is a person's address.
type Address struct {
	Street   string `xml:"street"`
	City     string `xml:"city"`
	Country  string `xml:"country"`
	Province string `xml:"province"`
	Zipcode  string `xml:"zipcode"`
}

// Profile is a person's profile.
type Profile struct {
	Income    *string `xml:"income,attr"`
	Interest  []Ref   `xml:"interest"`
	Education string  `xml:"education"`
	Gender    string  `xml:"gender"`
	Business  string  `xml:"business"`
	Age       string  `xml:"age"`
}

// Ref is an element that refers to another record by an attribute.
type Ref struct {
	Category    string `xml:"category,attr"`
	Person      string `xml:"person,attr"`
	Item        string `xml:"item,attr"`
	OpenAuction string `xml:"open_auction,attr"`
}

// Text is mixed content: prose with bold, keyword and emph runs.
type Text struct {
	Data    string   `xml:",chardata"`
	Bold    []string `xml:"bold"`
	Keyword []string `xml:"keyword"`
	Emph    []string `xml:"emph"`
}

// Description is a text or a list of paragraphs.
type Description struct {
	Text    *Text    `xml:"text"`
	Parlist *Parlist `xml:"parlist"`
}

// Parlist is a list of paragraphs.
type Parlist struct {
	Items []Listitem `xml:"listitem"`
}

// Listitem is one paragraph of a parlist.
type Listitem struct {
	Text    *Text    `xml:"text"`
	Parlist *Parlist `xml:"parlist"`
}

// Item is /site/regions/*/item.
type Item struct {
	ID          string      `xml:"id,attr"`
	Featured    string      `xml:"featured,attr"`
	Location    string      `xml:"location"`
	Quantity    string      `xml:"quantity"`
	Name        string      `xml:"name"`
	Payment     string      `xml:"payment"`
	Description Description `xml:"description"`
	Shipping    string      `xml:"shipping"`
	Incategory  []Ref       `xml:"incategory"`
	Mail        []Mail      `xml:"mailbox>mail"`
}

// Mail is a message in an item's mailbox.
type Mail struct {
	From string `xml:"from"`
	To   string `xml:"to"`
	Date string `xml:"date"`
	Text Text   `xml:"text"`
}

// Annotation is an auction's annotation.
type Annotation struct {
	Author      Ref         `xml:"author"`
	Description Description `xml:"description"`
	Happiness   string      `xml:"happiness"`
}

// OpenAuction is /site/open_auctions/open_auction.
type OpenAuction struct {
	ID         string     `xml:"id,attr"`
	Initial    string     `xml:"initial"`
	Reserve    string     `xml:"reserve"`
	Bidder     []Bidder   `xml:"bidder"`
	Current    string     `xml:"current"`
	Privacy    string     `xml:"privacy"`
	Itemref    Ref        `xml:"itemref"`
	Seller     Ref        `xml:"seller"`
	Annotation Annotation `xml:"annotation"`
	Quantity   string     `xml:"quantity"`
	Type       string     `xml:"type"`
	Start      string     `xml:"interval>start"`
	End        string     `xml:"interval>end"`
}

// Bidder is one bid of an open auction.
type Bidder struct {
	Date      string `xml:"date"`
	Time      string `xml:"time"`
	Personref Ref    `xml:"personref"`
	Increase  string `xml:"increase"`
}

// ClosedAuction is /site/closed_auctions/closed_auction.
type ClosedAuction struct {
	Seller     Ref        `xml:"seller"`
	Buyer      Ref        `xml:"buyer"`
	Itemref    Ref        `xml:"itemref"`
	Price      []string   `xml:"price"`
	Date       string     `xml:"date"`
	Quantity   string     `xml:"quantity"`
	Type       string     `xml:"type"`
	Annotation Annotation `xml:"annotation"`
}

// Category is /site/categories/category.
type Category struct {
	ID          string      `xml:"id,attr"`
	Name        string      `xml:"name"`
	Description Description `xml:"description"`
}

// Edge is /site/catgraph/edge.
type Edge struct {
	From string `xml:"from,attr"`
	To   string `xml:"to,attr"`
}

// slimPerson is what the queries read of a person.
type slimPerson struct {
	ID       string   `xml:"id,attr"`
	Name     []string `xml:"name"`
	Homepage []string `xml:"homepage"`
	Profile  []struct {
		Income *string `xml:"income,attr"`
	} `xml:"profile"`
}

// slimClosed is what the queries read of a closed auction.
type slimClosed struct {
	Price []string `xml:"price"`
}

// site holds every record of a document (or of a part of one), the way a
// program that loads everything into memory holds it.
type site struct {
	Items  []Item
	People []Person
	Open   []OpenAuction
	Closed []ClosedAuction
	Cats   []Category
	Edges  []Edge
}

// addPerson adds one person's contribution to the answers.
func (a *Answers) addPerson(id string, names, homepages []string, incomes []*string) {
	if !a.Q1Found && id == "person0" {
		a.Q1Found = true
		if len(names) > 0 {
			a.Q1 = names[0]
		}
	}
	has := false
	for _, h := range homepages {
		if h != "" {
			has = true
		}
	}
	if !has {
		a.Q17++
	}
	na := true
	for _, in := range incomes {
		if in != nil {
			na = false
			a.Q20.addIncome([]byte(*in))
		}
	}
	if na {
		a.Q20.NA++
	}
}

// addClosed adds one closed auction's contribution to the answers.
func (a *Answers) addClosed(prices []string) {
	for _, p := range prices {
		if priceAtLeast40([]byte(p)) {
			a.Q5++
			return
		}
	}
}

// answers computes the queries over the records of s.
func (s *site) answers() Answers {
	var a Answers
	a.Q6 = int64(len(s.Items))
	for i := range s.People {
		p := &s.People[i]
		incomes := make([]*string, len(p.Profile))
		for j := range p.Profile {
			incomes[j] = p.Profile[j].Income
		}
		a.addPerson(p.ID, p.Name, p.Homepage, incomes)
	}
	for i := range s.Closed {
		a.addClosed(s.Closed[i].Price)
	}
	return a
}
